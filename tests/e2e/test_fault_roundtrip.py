"""The walking skeleton end to end, with real processes and a real browser:

agent stops → heartbeat fault → email arrives → the customer opens the link from that email
in Chromium and confirms → the dashboard shows the fault acknowledged → the agent resumes →
the fault resolves → the recovery email arrives.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.store.db import make_engine
from collector.store.operators import add_operator
from tests.support.browser import chromium
from tests.support.smtp import Inbox, free_port, smtp_server

pytestmark = pytest.mark.e2e

HOST_KEY = "5e" * 32
CONTACT = "jo@acme.example"
NOC = "noc@vendor.example"
BIN = Path(sys.executable).parent


def _write_configs(tmp: Path, http_port: int, smtp_port: int) -> tuple[Path, Path]:
    (tmp / "inventory.yaml").write_text(
        f"""
customers:
  - id: acme
    name: Acme Ltd
    contacts: [{{name: Jo, email: {CONTACT}}}]
    contract: {{tier: cat2, starts_on: 2026-01-01, ends_on: 2099-01-01, ports: 10}}
    hosts:
      - {{id: acme-pbx, name: pbx1.acme, kind: pbx, interval_s: 1, key: "{HOST_KEY}"}}
"""
    )
    collector = tmp / "collector.yaml"
    collector.write_text(
        f"""
secret_key: e2e-secret-0123456789abcdef
http: {{host: 127.0.0.1, port: {http_port}, public_url: "http://127.0.0.1:{http_port}",
        secure_cookies: false}}
database: {{url: "sqlite:///{tmp}/faultdesk.db"}}
smtp: {{host: 127.0.0.1, port: {smtp_port}, sender: faultdesk@vendor.example}}
mail: {{noc: {NOC}, send_interval_s: 0.3, retry_base_s: 1}}
monitoring: {{sweep_interval_s: 0.5, heartbeat_missed_intervals: 3}}
inventory_file: inventory.yaml
"""
    )
    key_file = tmp / "host.key"
    key_file.write_text(HOST_KEY)
    key_file.chmod(0o600)
    agent = tmp / "agent.yaml"
    agent.write_text(
        f"""
collector_url: http://127.0.0.1:{http_port}
host_id: acme-pbx
key_file: {key_file}
interval_s: 1
spool_dir: {tmp}/spool
"""
    )
    return collector, agent


def _wait_http(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Inbox, str, Path, Path]]:
    http_port = free_port()
    with smtp_server() as (inbox, smtp_port):
        collector_config, agent_config = _write_configs(tmp_path, http_port, smtp_port)
        collector = _start(
            [str(BIN / "faultdesk-collector"), "run", "--config", str(collector_config)],
            tmp_path / "collector.log",
        )
        try:
            base = f"http://127.0.0.1:{http_port}"
            _wait_http(f"{base}/readyz")
            yield inbox, base, agent_config, tmp_path
        finally:
            _stop(collector)
            if os.environ.get("FAULTDESK_E2E_LOGS"):
                print((tmp_path / "collector.log").read_text())


async def test_it_takes_a_fault_from_a_silent_agent_to_an_acknowledged_recovery(
    stack: tuple[Inbox, str, Path, Path],
) -> None:
    inbox, base, agent_config, tmp = stack
    engine = make_engine(f"sqlite:///{tmp}/faultdesk.db")
    with engine.begin() as conn:
        add_operator(conn, "operator", "correct horse battery", datetime.now(UTC))
    engine.dispose()
    agent_command = [str(BIN / "faultdesk-agent"), "run", "--config", str(agent_config)]

    agent = _start(agent_command, tmp / "agent.log")
    try:
        await _wait_reporting(tmp)
    finally:
        _stop(agent)  # the agent stops: the collector hears nothing more

    alarm = await inbox.wait_for(CONTACT, "MAJOR: Acme Ltd / pbx1.acme: Agent not reporting")
    await inbox.wait_for(NOC, "MAJOR: Acme Ltd / pbx1.acme: Agent not reporting")
    ack_url = re.search(r"http://\S+/ack/\S+", alarm.get_content()).group(0)  # type: ignore[union-attr]

    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(ack_url)
        await page.fill("#comment", "On it - Jo")
        await page.click("#confirm")
        await page.wait_for_selector("text=acknowledged", timeout=20_000)

        await page.goto(f"{base}/login")
        await page.fill("#username", "operator")
        await page.fill("#password", "correct horse battery")
        await page.click("#login")
        await page.goto(f"{base}/faults")
        row = page.locator("[data-fault-id]").first
        assert await row.get_attribute("data-acknowledged") == "true"
        assert CONTACT in await row.inner_text()

    await inbox.wait_for(NOC, "ACKNOWLEDGED: Acme Ltd / pbx1.acme")
    agent = _start(agent_command, tmp / "agent.log")
    try:
        await inbox.wait_for(CONTACT, "RESOLVED: Acme Ltd / pbx1.acme: Agent not reporting")
        await inbox.wait_for(NOC, "RESOLVED: Acme Ltd / pbx1.acme: Agent not reporting")
    finally:
        _stop(agent)
    assert agent.returncode == 0


async def _wait_reporting(tmp: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sqlite3.connect(tmp / "faultdesk.db") as conn:
            (count,) = conn.execute("SELECT count(*) FROM reports").fetchone()
        if count >= 2:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the agent's reports did not arrive: " + (tmp / "agent.log").read_text())
