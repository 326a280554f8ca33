"""The agent's spool against the real collector process and its SQLite database.

The collector goes away mid-stream, the agent is restarted cleanly and then killed with
SIGKILL while it spools, and the collector comes back on the same port: every ``seq`` the
agent produced must end up stored once, in order, with nothing left in the spool.
(tests/agent/test_daemon_process.py runs the same story against a stand-in server that
also records every POST, duplicates included; this is the real thing.)
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from collector.store.engines import make_engine
from collector.store.reports import stored_seqs
from collector.store.schema import reports
from tests.support.processes import (
    agent_command,
    database_url,
    free_port,
    start_collector,
    start_process,
    stop_process,
    write_agent_config,
    write_collector_config,
    write_inventory,
)
from tests.support.smtp import smtp_server

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HOST = "acme-pbx"
KEY = "7a" * 32
WAIT_S = 60.0  # only a guard against hanging; nothing below depends on speed


class Stack:
    """The collector process (stoppable, restartable on its port) and its database."""

    def __init__(self, tmp: Path, port: int, config: Path) -> None:
        self.tmp = tmp
        self.port = port
        self.config = config
        self.log = tmp / "collector.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.engine: Engine | None = None

    def start(self) -> None:
        self.process = start_collector(self.config, self.port, self.log)
        if self.engine is None:  # the collector has created and migrated the database
            self.engine = make_engine(database_url(self.tmp))

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def stored(self) -> list[int]:
        """Every stored seq of the host, each once (the table's unique key), ascending."""
        assert self.engine is not None
        with self.engine.connect() as conn:
            return stored_seqs(conn, HOST)

    def arrivals(self) -> list[int]:
        """The stored seqs in the order the collector first stored them."""
        assert self.engine is not None
        query = select(reports.c.seq).where(reports.c.host_id == HOST).order_by(reports.c.id)
        with self.engine.connect() as conn:
            return list(conn.scalars(query))


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    port = free_port()
    # A real SMTP server only so that any fault mail the collector sends stays on loopback.
    with smtp_server() as (_inbox, smtp_port):
        write_inventory(tmp_path, HOST, KEY, interval_s=1)
        stack = Stack(tmp_path, port, write_collector_config(tmp_path, port, smtp_port))
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()
            if stack.engine is not None:
                stack.engine.dispose()


def _spooled(tmp: Path) -> list[int]:
    return sorted(int(p.stem) for p in (tmp / "spool").glob("[0-9]*.json"))


def _last_seq_used(tmp: Path) -> int:
    """The agent's own record of the last seq it gave a report (kept across restarts)."""
    return int(json.loads((tmp / "spool" / "state.json").read_text())["seq"])


def _wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; agent log:\n{log.read_text()}")
        time.sleep(0.05)


def test_it_stores_every_seq_once_in_order_through_an_outage_a_restart_and_kill_9(
    stack: Stack,
) -> None:
    tmp = stack.tmp
    config = write_agent_config(tmp, f"http://127.0.0.1:{stack.port}", HOST, KEY, interval_s=0.5)
    log = tmp / "agent.log"
    agent = start_process(agent_command(config), log)
    try:
        _wait_for(lambda: len(stack.stored()) >= 3, "live reports", log)
        stack.stop()  # mid-stream: a report may be in flight, stored but never answered
        _wait_for(lambda: len(_spooled(tmp)) >= 3, "reports spooled while it is down", log)
        assert stop_process(agent) == 0
        agent = start_process(agent_command(config), log)  # clean restart, spool still full
        depth = len(_spooled(tmp))
        _wait_for(lambda: len(_spooled(tmp)) >= depth + 3, "spooling after the restart", log)
        agent.kill()  # kill -9, at whatever point it had reached
        agent.wait(WAIT_S)
        agent = start_process(agent_command(config), log)
        depth = len(_spooled(tmp))
        _wait_for(lambda: len(_spooled(tmp)) >= depth + 2, "spooling after kill -9", log)
        stack.start()  # back on the port the agent's config names
        _wait_for(lambda: not _spooled(tmp), "the spool to drain", log)
        _quiesce(agent, config, log)
        _wait_for(
            lambda: not _spooled(tmp) and stack.stored()[-1] == _last_seq_used(tmp),
            "the last report to be stored",
            log,
        )
        assert stop_process(agent) == 0
    finally:
        stop_process(agent)

    stored = stack.stored()
    # Each seq is stored once (the unique key), and the collector stored them in seq order:
    # replayed reports oldest first, then live ones.
    assert stack.arrivals() == stored
    assert all(a < b for a, b in pairwise(stored))
    # No gaps. The agent's design does allow them: reports dropped by the spool's size/age
    # bounds, reports the collector refuses for good (400, 413: set aside in the dead-letter
    # folder), or a report that could not be written to a full disk (its seq is used anyway).
    # None of that happens here: the bounds are the defaults (far above a few seconds of
    # reports) and this collector accepts every report, so a missing seq could only mean a
    # report lost across the outage, the restart or the kill.
    assert stored == list(range(stored[0], stored[-1] + 1))
    assert stored[-1] == _last_seq_used(tmp)
    assert _spooled(tmp) == []
    totals = json.loads((tmp / "spool" / "state.json").read_text())["totals"]
    assert (totals["dropped"], totals["dead_lettered"]) == (0, 0)
    assert "collector refused report" not in log.read_text()


def _quiesce(agent: subprocess.Popen[bytes], config: Path, log: Path) -> None:
    """Stop the agent sampling (SIGHUP with a one-hour interval) so the spool can be seen empty
    for good: while it samples every 0.5 s there is always a report between spool and send."""
    text = config.read_text()
    assert "interval_s: 0.5" in text
    config.write_text(text.replace("interval_s: 0.5", "interval_s: 3600"))
    agent.send_signal(signal.SIGHUP)
    _wait_for(lambda: "configuration reloaded" in log.read_text(), "the reload", log)
