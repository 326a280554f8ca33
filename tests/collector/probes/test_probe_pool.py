"""Probe worker processes: real workers probing loopback listeners, a worker that dies, and the
scheduler storing what its workers found. Each test starts one worker (about a second)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection

from collector.config.settings import ProbeSettings
from collector.jobs.probe_scheduler import ProbeScheduler
from collector.probes.base import ProbeResult
from collector.probes.pool import ProbePool, share_out
from collector.probes.runner import CheckOutcome, ProbeFailure
from collector.runtime.loop import loop_name, new_event_loop, run, uvloop_available
from collector.runtime.metrics import Metrics
from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.store.probe_results import HostCheck
from tests.support.collector import collector_config

pytestmark = pytest.mark.integration

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
HOST = "acme-pbx"


@pytest.fixture
async def open_port() -> AsyncIterator[int]:
    server = await asyncio.start_server(lambda _r, writer: writer.close(), "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Outcomes:
    """Collects what the pool delivers; ``wait(n)`` until n have arrived."""

    def __init__(self) -> None:
        self.received: dict[int, tuple[CheckOutcome, float]] = {}
        self._changed = asyncio.Event()

    def __call__(self, check: HostCheck, outcome: CheckOutcome, waited_s: float) -> None:
        self.received[check.id] = (outcome, waited_s)
        self._changed.set()

    async def wait(self, count: int) -> None:
        async with asyncio.timeout(30):
            while len(self.received) < count:
                self._changed.clear()
                await self._changed.wait()


async def test_it_runs_checks_in_a_worker_and_delivers_their_outcomes(open_port: int) -> None:
    outcomes = Outcomes()
    pool = ProbePool(1, outcomes, max_concurrency=2)
    checks = [
        HostCheck(1, HOST, "tcp", "", f"127.0.0.1:{open_port}"),
        HostCheck(2, HOST, "tcp", "", f"127.0.0.1:{_closed_port()}"),
        HostCheck(3, HOST, "ssh", "", f"127.0.0.1:{_closed_port()}"),
        HostCheck(4, HOST, "tcp", "", "127.0.0.1", options={"prot": 1}),
    ]
    try:
        await pool.submit(checks)
        await outcomes.wait(4)
    finally:
        await pool.close()

    verdicts = {
        check_id: str(outcome.verdict) for check_id, (outcome, _) in outcomes.received.items()
    }
    assert verdicts == {1: "ok", 2: "critical", 3: "critical", 4: "unknown"}
    first, _ = outcomes.received[1]
    assert isinstance(first, ProbeResult)
    assert first.detail == f"port {open_port} open"
    assert all(waited_s >= 0 for _, waited_s in outcomes.received.values())
    assert pool.pids() == []


async def test_it_answers_unknown_for_checks_lost_with_a_worker_and_starts_another(
    open_port: int,
) -> None:
    outcomes = Outcomes()
    pool = ProbePool(1, outcomes)
    # A listener that never answers keeps the check outstanding while the worker dies.
    held: list[asyncio.StreamWriter] = []
    silent = await asyncio.start_server(lambda _r, writer: held.append(writer), "127.0.0.1", 0)
    silent_port = silent.sockets[0].getsockname()[1]
    try:
        await pool.start()
        (pid,) = pool.pids()
        await pool.submit([HostCheck(1, HOST, "ssh", "", f"127.0.0.1:{silent_port}")])
        await asyncio.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        await outcomes.wait(1)
        await pool.submit([HostCheck(2, HOST, "tcp", "", f"127.0.0.1:{open_port}")])
        await outcomes.wait(2)
        assert pool.pids() != [pid]
    finally:
        await pool.close()
        for writer in held:
            writer.close()
        silent.close()
        await silent.wait_closed()

    lost, _ = outcomes.received[1]
    assert isinstance(lost, ProbeFailure)
    assert lost.detail.startswith("probe worker exited (status -9)")
    assert str(outcomes.received[2][0].verdict) == "ok"


def _host_with_checks(conn: Connection, ports: list[int]) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", MONDAY)
    inventory.add_host(conn, HOST, "acme", MONDAY, name="pbx1")
    for n, port in enumerate(ports):
        probe_store.add_check(conn, HOST, "tcp", f"127.0.0.1:{port}", MONDAY, name=f"p{n}")


async def test_it_stores_what_the_scheduler_workers_found(
    sqlite_url: str, tmp_path: Path, open_port: int
) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    db = Database(engine)
    db.transaction(_host_with_checks, [open_port, _closed_port()])
    config = collector_config(sqlite_url, tmp_path, probes=ProbeSettings(workers=1, jitter_s=0))
    metrics = Metrics()
    scheduler = ProbeScheduler(db, config, lambda: MONDAY, metrics, rng=random.Random(1))
    try:
        assert await scheduler.tick() == 2
        assert await scheduler.drain() == 2
        stored = db.transaction(probe_store.recent_results, HOST)
    finally:
        await scheduler.stop()
        db.close()

    assert sorted(r.verdict for r in stored) == ["critical", "ok"]
    # Started when handed over plus the wait for a slot in the worker.
    assert all(MONDAY <= r.at < MONDAY + timedelta(seconds=5) for r in stored)
    lag = metrics.registry.get_sample_value("faultdesk_probe_scheduler_lag_seconds_count")
    assert lag == 2


def test_it_runs_on_uvloop_when_installed_and_on_asyncio_when_asked() -> None:
    async def which() -> str:
        return loop_name(asyncio.get_running_loop())

    assert run(which()) == ("uvloop" if uvloop_available() else "asyncio")
    assert run(which(), prefer_uvloop=False) == "asyncio"
    loop = new_event_loop(prefer_uvloop=False)
    loop.close()


async def test_it_probes_in_the_collector_process_when_workers_cannot_start(
    sqlite_url: str, tmp_path: Path, open_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    engine = make_engine(sqlite_url)
    migrate(engine)
    db = Database(engine)
    db.transaction(_host_with_checks, [open_port])
    config = collector_config(sqlite_url, tmp_path, probes=ProbeSettings(workers=1, jitter_s=0))
    scheduler = ProbeScheduler(db, config, lambda: MONDAY, Metrics(), rng=random.Random(1))
    try:
        assert await scheduler.tick() == 1
        assert await scheduler.drain() == 1
        stored = db.transaction(probe_store.recent_results, HOST)
    finally:
        await scheduler.stop()
        db.close()

    assert [r.verdict for r in stored] == ["ok"]


def test_it_hands_new_checks_to_the_least_loaded_workers_until_their_loads_even_out() -> None:
    assert share_out([0, 0], [50, 50], 10_000) == [5_000, 5_000]
    # Loads are per slot: a worker with twice the share takes twice the checks.
    assert share_out([0, 0], [34, 66], 1_000) == [340, 660]
    # A worker already past the level the others reach takes none.
    assert share_out([100, 0], [10, 10], 30) == [0, 30]
    assert share_out([20, 0], [10, 10], 30) == [5, 25]
    assert share_out([3, 1], [1, 1], 0) == [0, 0]
    # The odd ones left over go one each to the least loaded.
    assert sorted(share_out([0, 0, 0], [1, 1, 1], 4)) == [1, 1, 2]
