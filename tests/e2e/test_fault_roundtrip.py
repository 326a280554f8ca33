"""The walking skeleton end to end, with real processes and a real browser:

agent stops → heartbeat fault → email arrives → the customer opens the link from that email
in Chromium and confirms → the dashboard shows the fault acknowledged → the agent resumes →
the fault resolves → the recovery email arrives. Then no log line holds any secret the run
made: the host key, the password, the ack token, the session cookie, the API token.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from collector.store.engines import make_engine
from collector.store.operators import add_operator, create_token
from tests.support.browser import chromium
from tests.support.processes import (
    CONTACT,
    NOC,
    SECRET,
    agent_command,
    free_port,
    start_collector,
    start_process,
    stop_process,
    write_agent_config,
    write_collector_config,
    write_inventory,
)
from tests.support.smtp import Inbox, smtp_server

pytestmark = pytest.mark.e2e

HOST_KEY = "5e" * 32
PASSWORD = "correct horse battery"


def _write_configs(tmp: Path, http_port: int, smtp_port: int) -> tuple[Path, Path]:
    write_inventory(tmp, "acme-pbx", HOST_KEY, interval_s=1)
    collector = write_collector_config(
        tmp,
        http_port,
        smtp_port,
        mail={"send_interval_s": 0.3, "retry_base_s": 1},
        monitoring={"sweep_interval_s": 0.5, "heartbeat_missed_intervals": 3},
    )
    agent = write_agent_config(tmp, f"http://127.0.0.1:{http_port}", "acme-pbx", HOST_KEY)
    return collector, agent


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Inbox, str, Path, Path]]:
    http_port = free_port()
    with smtp_server() as (inbox, smtp_port):
        collector_config, agent_config = _write_configs(tmp_path, http_port, smtp_port)
        collector = start_collector(collector_config, http_port, tmp_path / "collector.log")
        try:
            base = f"http://127.0.0.1:{http_port}"
            yield inbox, base, agent_config, tmp_path
        finally:
            stop_process(collector)
            if os.environ.get("FAULTDESK_E2E_LOGS"):
                print((tmp_path / "collector.log").read_text())


async def test_it_takes_a_fault_from_a_silent_agent_to_an_acknowledged_recovery(
    stack: tuple[Inbox, str, Path, Path],
) -> None:
    inbox, base, agent_config, tmp = stack
    engine = make_engine(f"sqlite:///{tmp}/faultdesk.db")
    with engine.begin() as conn:
        add_operator(conn, "operator", PASSWORD, datetime.now(UTC))
        api_token = create_token(conn, "operator", "e2e", datetime.now(UTC))
    engine.dispose()
    command = agent_command(agent_config)

    agent = start_process(command, tmp / "agent.log")
    try:
        await _wait_reporting(tmp)
    finally:
        stop_process(agent)  # the agent stops: the collector hears nothing more

    alarm = await inbox.wait_for(CONTACT, "FAULT: The agent has stopped reporting on pbx1.acme")
    await inbox.wait_for(NOC, "MAJOR: The agent has stopped reporting on pbx1.acme (Acme Ltd)")
    text = alarm.get_body(("plain",))
    assert isinstance(text, EmailMessage)
    ack_url = re.search(r"http://\S+/ack/\S+", text.get_content()).group(0)  # type: ignore[union-attr]

    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(ack_url)
        await page.fill("#comment", "On it - Jo")
        await page.click("#confirm")
        await page.wait_for_selector("text=acknowledged", timeout=20_000)

        await page.goto(f"{base}/login")
        await page.fill("#username", "operator")
        await page.fill("#password", PASSWORD)
        await page.click("#login")
        await page.goto(f"{base}/faults")
        row = page.locator("[data-fault-id]").first
        assert await row.get_attribute("data-acknowledged") == "true"
        assert CONTACT in await row.inner_text()
        cookies = [c["value"] for c in await page.context.cookies()]
    _call_api(f"{base}/api/v1/faults?token={api_token}", api_token)

    await inbox.wait_for(NOC, "ACKNOWLEDGED: The agent has stopped reporting on pbx1.acme")
    agent = start_process(command, tmp / "agent.log")
    try:
        await inbox.wait_for(CONTACT, "RESOLVED: The agent is reporting again on pbx1.acme")
        await inbox.wait_for(NOC, "RESOLVED: The agent is reporting again on pbx1.acme")
    finally:
        stop_process(agent)
    assert agent.returncode == 0
    ack_token = ack_url.rsplit("/", 1)[1]
    secrets = [HOST_KEY, PASSWORD, SECRET, ack_token, api_token, *cookies]
    _assert_no_secret_logged(tmp, secrets)
    assert "/ack/[token]" in (tmp / "collector.log").read_text()  # the access log is on


def _call_api(url: str, token: str) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _assert_no_secret_logged(tmp: Path, secrets: list[str]) -> None:
    for log in (tmp / "collector.log", tmp / "agent.log"):
        for number, line in enumerate(log.read_text().splitlines(), 1):
            for secret in secrets:
                assert secret not in line, f"{log.name}:{number} holds a secret: {line}"


async def _wait_reporting(tmp: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sqlite3.connect(tmp / "faultdesk.db") as conn:
            (count,) = conn.execute("SELECT count(*) FROM reports").fetchone()
        if count >= 2:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the agent's reports did not arrive: " + (tmp / "agent.log").read_text())
