"""``faultdesk demo`` as a newcomer runs it: one process tree that serves, reports, faults,
mails, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from collector.demo import fleet
from collector.demo.runner import LOCAL_HOST_ID, OPERATOR, portal_user
from tests.support.processes import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SPEED = "10"  # a report every second
PATIENCE_S = 30.0  # upper bound on any one wait; normally a few seconds


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    url: str
    var: Path
    out: Path
    err: Path

    @property
    def db(self) -> Path:
        return self.var / "demo" / "faultdesk.db"

    def query(self, sql: str) -> list[Any]:
        with sqlite3.connect(self.db, timeout=10) as conn:
            return conn.execute(sql).fetchall()

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()


def demo_command() -> list[str]:
    """The installed console script, or the module when running from a bare checkout."""
    script = Path(sys.executable).with_name("faultdesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "collector.demo.cli"]


def wait_for(check: Callable[[], Any], what: str, demo: Demo) -> Any:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        if demo.process.poll() is not None:
            pytest.fail(
                f"demo exited ({demo.process.returncode}) waiting for {what}:\n{demo.output()}"
            )
        try:
            found = check()
        except (OSError, sqlite3.Error):
            found = None
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(f"no {what} within {PATIENCE_S:.0f} s:\n{demo.output()}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port = free_port()
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    command = [
        *demo_command(),
        "demo",
        "--port",
        str(port),
        "--var",
        str(tmp_path / "var"),
        "--speed",
        SPEED,
        "--smtp-port",
        "0",
    ]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=REPO, stdout=stdout, stderr=stderr, start_new_session=True
        )
    running = Demo(process, f"http://127.0.0.1:{port}", tmp_path / "var", out, err)
    try:
        yield running
    finally:
        if process.poll() is None:  # the test failed half-way: leave nothing behind
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def get(url: str, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def signed_in(demo: Demo, name: str = OPERATOR) -> urllib.request.OpenerDirector:
    """A browser-like client logged in with the credentials the demo printed."""
    printed = re.search(rf"Log in as\s+{OPERATOR} / (\S+)", demo.out.read_text())
    assert printed, demo.output()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    _, form = get(demo.url + "/login", opener)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, form
    fields = {"username": name, "password": printed.group(1), "csrf_token": token.group(1)}
    data = urllib.parse.urlencode(fields).encode()
    with opener.open(demo.url + "/login", data=data, timeout=10) as answer:
        assert urllib.parse.urlsplit(answer.url).path != "/login", "login refused"
    return opener


def ack_links(demo: Demo) -> list[str]:
    _, inbox = get(demo.url + "/demo/inbox.json")
    link = re.compile(re.escape(demo.url) + r"/ack/\S+")
    return [found for m in json.loads(inbox)["messages"] for found in link.findall(m["body"])]


def test_it_runs_the_fleet_raises_faults_mails_them_and_stops_cleanly(demo: Demo) -> None:
    wait_for(lambda: get(demo.url + "/healthz")[0] == 200, "/healthz", demo)
    expected = {h.id for h in fleet.FLEET} | {LOCAL_HOST_ID}

    def reporting_hosts() -> set[str] | None:
        hosts = {row[0] for row in demo.query("SELECT DISTINCT host_id FROM reports")}
        return hosts if hosts >= expected else None

    assert wait_for(reporting_hosts, "reports from every host and the real agent", demo)
    status, overview = get(demo.url + "/", signed_in(demo))
    assert status == 200
    assert all(customer.name in overview for customer in fleet.CUSTOMERS), overview
    status, portal = get(demo.url + "/portal/", signed_in(demo, portal_user()))
    assert status == 200 and "Your systems" in portal, portal

    assert wait_for(lambda: demo.query("SELECT id FROM faults"), "a fault", demo)
    links = wait_for(lambda: ack_links(demo), "caught mail with an ack link", demo)
    status, confirm = get(links[0])
    assert status == 200, confirm  # the confirmation page; only its POST acknowledges

    children = psutil.Process(demo.process.pid).children(recursive=True)
    assert children, "the real agent runs as a child of the demo"
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=PATIENCE_S) == 0, demo.output()
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive
    stderr = demo.err.read_text()
    assert "Traceback" not in stderr and "Unclosed" not in stderr, stderr
    assert "Demo stopped." in demo.out.read_text()
