"""Scheduling remote checks: jitter, bounded concurrency, batches, metrics, stored results.

Probes here are fakes injected through ``probe=``: what is under test is when checks run and
how many at once, not what they find (tests/collector/test_probe_pipeline.py does that).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection

from collector.app import create_app
from collector.config.inventory_file import load_inventory, read_inventory
from collector.config.settings import CollectorConfig, ConfigError, ProbeSettings
from collector.jobs.probe_scheduler import ProbeScheduler, first_due, next_due
from collector.probes.base import ProbeResult, Verdict
from collector.probes.runner import CheckOutcome, ProbeFailure
from collector.runtime.metrics import Metrics
from collector.store import inventory, watch_states
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.store.probe_results import HostCheck
from collector.web.appkeys import DATABASE, METRICS
from tests.support.cli import Cli
from tests.support.clock import Clock
from tests.support.collector import collector_config

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
HOST = "acme-pbx"


class CountingProbe:
    """Holds every probe until released, counting how many are inside at once."""

    def __init__(self, full_at: int = 0) -> None:
        self.full_at = full_at
        self.full = asyncio.Event()  # set once ``full_at`` probes are inside together
        self.inside = 0
        self.most_inside = 0
        self.calls: list[HostCheck] = []
        self.release = asyncio.Event()

    async def __call__(self, check: HostCheck) -> CheckOutcome:
        self.calls.append(check)
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        if self.inside == self.full_at:
            self.full.set()
        await self.release.wait()
        self.inside -= 1
        return ProbeResult(check.kind, check.target, Verdict.OK, 2.5, "fine")


def _customer_with_host(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", MONDAY)
    inventory.add_host(conn, HOST, "acme", MONDAY, name="pbx1")


def _add_checks(conn: Connection, count: int, interval_s: float = 60.0) -> list[HostCheck]:
    return [
        probe_store.add_check(
            conn, HOST, "tcp", f"127.0.0.1:{1000 + n}", MONDAY, name=f"p{n}", interval_s=interval_s
        )
        for n in range(count)
    ]


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    engine = make_engine(sqlite_url)
    migrate(engine)
    database = Database(engine)
    database.transaction(_customer_with_host)
    yield database
    database.close()


def _config(sqlite_url: str, tmp_path: Path, **probes: Any) -> CollectorConfig:
    return collector_config(sqlite_url, tmp_path, probes=ProbeSettings(**probes))


def _scheduler(
    db: Database, config: CollectorConfig, clock: Clock, probe: Any, metrics: Metrics | None = None
) -> ProbeScheduler:
    return ProbeScheduler(
        db, config, clock, metrics or Metrics(), probe=probe, rng=random.Random(5)
    )


async def test_it_spreads_first_runs_over_the_jitter(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    db.transaction(_add_checks, 200)
    probe = CountingProbe()
    probe.release.set()
    clock = Clock(MONDAY)
    scheduler = _scheduler(db, _config(sqlite_url, tmp_path, jitter_s=10), clock, probe)

    await scheduler.reload()
    due = sorted(scheduler.due_times().values())
    assert due[0] >= MONDAY
    assert due[-1] <= MONDAY + timedelta(seconds=10)
    assert len(set(due)) == 200
    clock.now = MONDAY + timedelta(seconds=5)
    first_half = await scheduler.tick()
    assert 50 < first_half < 150  # roughly half of them, not all at once
    clock.now = MONDAY + timedelta(seconds=10)
    assert await scheduler.tick() == 200 - first_half
    await scheduler.drain()
    assert len(probe.calls) == 200
    assert len(db.transaction(probe_store.recent_results, HOST, 500)) == 200


async def test_it_never_runs_more_checks_at_once_than_allowed(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    db.transaction(_add_checks, 10)
    probe = CountingProbe(full_at=3)
    metrics = Metrics()
    config = _config(sqlite_url, tmp_path, jitter_s=0, max_concurrency=3)
    scheduler = _scheduler(db, config, Clock(MONDAY), probe, metrics)

    assert await scheduler.tick() == 10
    await probe.full.wait()
    for _ in range(20):  # give the others every chance to squeeze in
        await asyncio.sleep(0)
    assert (probe.inside, metrics.registry.get_sample_value("faultdesk_probe_checks_waiting")) == (
        3,
        7,
    )
    probe.release.set()
    assert await scheduler.drain() == 10
    assert probe.most_inside == 3
    assert len(db.transaction(probe_store.recent_results, HOST)) == 10


async def test_it_runs_each_check_at_its_own_interval(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    def add(conn: Connection) -> list[HostCheck]:
        return [
            probe_store.add_check(conn, HOST, "tcp", "h:1", MONDAY, name="fast", interval_s=30),
            probe_store.add_check(conn, HOST, "tcp", "h:2", MONDAY, name="slow", interval_s=60),
        ]

    fast, slow = db.transaction(add)
    probe = CountingProbe()
    probe.release.set()
    clock = Clock(MONDAY)
    scheduler = _scheduler(db, _config(sqlite_url, tmp_path, jitter_s=0), clock, probe)

    for seconds in (0, 30, 60, 90, 120):
        clock.now = MONDAY + timedelta(seconds=seconds)
        await scheduler.tick()
        await scheduler.drain()
    ran = [check.name for check in probe.calls]
    assert (ran.count(fast.name), ran.count(slow.name)) == (5, 3)


async def test_it_stores_results_in_batches(db: Database, sqlite_url: str, tmp_path: Path) -> None:
    db.transaction(_add_checks, 7)
    probe = CountingProbe()
    probe.release.set()
    config = _config(sqlite_url, tmp_path, jitter_s=0)
    scheduler = ProbeScheduler(db, config, Clock(MONDAY), Metrics(), probe=probe, batch_size=3)
    writes: list[int] = []
    real_write = db.write

    async def counting_write(fn: Any, *args: Any, **kwargs: Any) -> Any:
        writes.append(len(args[1]))
        return await real_write(fn, *args, **kwargs)

    db.write = counting_write  # type: ignore[method-assign]
    await scheduler.tick()
    assert await scheduler.drain() == 7
    assert writes == [3, 3, 1]


async def test_it_picks_up_added_and_removed_checks_on_reload(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    first, second = db.transaction(_add_checks, 2)
    probe = CountingProbe()
    clock = Clock(MONDAY)
    scheduler = _scheduler(db, _config(sqlite_url, tmp_path, jitter_s=0), clock, probe)
    await scheduler.reload()
    assert set(scheduler.due_times()) == {first.id, second.id}

    db.transaction(probe_store.remove_check, first.id)
    db.transaction(probe_store.set_enabled, second.id, False)
    (third,) = db.transaction(
        lambda conn: [probe_store.add_check(conn, HOST, "ssh", "10.0.0.9", MONDAY)]
    )
    await scheduler.reload()
    assert set(scheduler.due_times()) == {third.id}


async def test_it_stores_a_run_that_could_not_be_carried_out_without_observing_it(
    db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    db.transaction(_add_checks, 1)

    async def broken(check: HostCheck) -> CheckOutcome:
        return ProbeFailure(check.kind, check.target, "RuntimeError: bug")

    scheduler = _scheduler(db, _config(sqlite_url, tmp_path, jitter_s=0), Clock(MONDAY), broken)
    await scheduler.tick()
    await scheduler.drain()
    (result,) = db.transaction(probe_store.recent_results, HOST)
    assert (result.verdict, result.detail) == ("unknown", "RuntimeError: bug")
    assert db.transaction(watch_states.load, HOST) == {}  # nothing learnt about the host


def test_it_keeps_the_phase_of_a_check_that_ran_before_a_restart() -> None:
    check = HostCheck(1, HOST, "ssh", "", "h", interval_s=60)
    rng = random.Random(1)
    last = MONDAY - timedelta(seconds=20)
    assert first_due(check, last, MONDAY, 10, rng) == MONDAY + timedelta(seconds=40)
    overdue = first_due(check, MONDAY - timedelta(hours=1), MONDAY, 10, rng)
    assert MONDAY <= overdue <= MONDAY + timedelta(seconds=10)


def test_it_skips_rather_than_runs_back_to_back_when_far_behind() -> None:
    check = HostCheck(1, HOST, "ssh", "", "h", interval_s=60)
    rng = random.Random(1)
    late = MONDAY + timedelta(minutes=10)
    assert late <= next_due(check, MONDAY, late, 10, rng) <= late + timedelta(seconds=10)
    on_time = next_due(check, MONDAY, MONDAY, 10, rng)
    assert MONDAY + timedelta(seconds=50) <= on_time <= MONDAY + timedelta(seconds=70)


def test_it_lists_due_checks_and_prunes_old_results(db: Database) -> None:
    check, idle = db.transaction(_add_checks, 2)
    result = ProbeResult("tcp", check.target, Verdict.OK, 1.0, "port open")
    db.transaction(probe_store.record_result, check, result, MONDAY - timedelta(days=20))
    db.transaction(probe_store.record_result, check, result, MONDAY)
    due = db.transaction(probe_store.due_checks, MONDAY + timedelta(seconds=30))
    assert [c.id for c in due] == [idle.id]
    assert db.transaction(probe_store.last_run_at) == {check.id: MONDAY}
    assert db.transaction(probe_store.prune_results, MONDAY, 14) == 1
    assert [r.at for r in db.transaction(probe_store.recent_results, HOST)] == [MONDAY]


def test_it_updates_a_check_added_twice(db: Database) -> None:
    def add_twice(conn: Connection) -> list[HostCheck]:
        probe_store.add_check(conn, HOST, "ssh", "h1", MONDAY, options={"port": 22})
        probe_store.add_check(conn, HOST, "ssh", "h2", MONDAY, interval_s=30)
        return probe_store.list_checks(conn, HOST)

    (check,) = db.transaction(add_twice)
    assert (check.target, check.options, check.interval_s) == ("h2", {}, 30.0)


@pytest.fixture
async def client(sqlite_url: str, tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(collector_config(sqlite_url, tmp_path), run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_it_shows_probe_metrics_on_the_metrics_endpoint(
    client: TestClient[Any, Any], sqlite_url: str, tmp_path: Path
) -> None:
    app = client.app
    assert app is not None
    db = app[DATABASE]
    await db.write(_customer_with_host)
    await db.write(_add_checks, 3)

    async def probe(check: HostCheck) -> CheckOutcome:
        verdict = Verdict.CRITICAL if check.name == "p0" else Verdict.OK
        latency = None if verdict is Verdict.CRITICAL else 4.0
        return ProbeResult(check.kind, check.target, verdict, latency, "")

    config = _config(sqlite_url, tmp_path, jitter_s=0)
    clock = Clock(MONDAY)
    scheduler = ProbeScheduler(db, config, clock, app[METRICS], probe=probe)
    await scheduler.reload()
    clock.now = MONDAY + timedelta(seconds=2)  # two seconds late
    await scheduler.tick()
    await scheduler.drain()

    response = await client.get("/metrics")
    assert response.status == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(await response.text())
        for sample in family.samples
    }
    tcp = (("kind", "tcp"),)
    assert samples[("faultdesk_probe_checks_run_total", tcp)] == 3
    assert samples[("faultdesk_probe_failures_total", tcp)] == 1
    assert samples[("faultdesk_probe_latency_seconds_count", tcp)] == 2
    assert samples[("faultdesk_probe_latency_seconds_sum", tcp)] == pytest.approx(0.008)
    assert samples[("faultdesk_probe_scheduler_lag_seconds_count", ())] == 3
    assert samples[("faultdesk_probe_scheduler_lag_seconds_sum", ())] == pytest.approx(6.0)
    assert samples[("faultdesk_probe_checks_waiting", ())] == 0


async def test_it_runs_checks_when_the_app_runs_schedules(sqlite_url: str, tmp_path: Path) -> None:
    server = await asyncio.start_server(lambda _r, writer: writer.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = make_engine(sqlite_url)
    migrate(engine)
    with engine.begin() as conn:
        _customer_with_host(conn)
        probe_store.add_check(conn, HOST, "tcp", f"127.0.0.1:{port}", MONDAY)
    engine.dispose()
    app = create_app(_config(sqlite_url, tmp_path, jitter_s=0), run_schedules=True)
    results: list[probe_store.StoredResult] = []
    async with TestClient(TestServer(app)):
        for _ in range(300):  # the first tick comes a second after start; allow a slow machine
            await asyncio.sleep(0.1)
            results = await app[DATABASE].read(probe_store.recent_results, HOST)
            if results:
                break
    server.close()
    await server.wait_closed()
    assert [(r.kind, r.verdict) for r in results] == [("tcp", "ok")]


def test_it_loads_checks_from_the_inventory_file_once(db: Database, tmp_path: Path) -> None:
    inventory_file = tmp_path / "inventory.yaml"
    inventory_file.write_text(
        "customers:\n"
        "  - id: acme\n"
        "    name: Acme Ltd\n"
        "    hosts:\n"
        f"      - id: {HOST}\n"
        "        checks:\n"
        "          - {kind: ssh, target: 203.0.113.7, port: 2222, interval_s: 30}\n"
        "          - kind: http\n"
        "            name: admin\n"
        "            target: https://203.0.113.7/\n"
        "            expect_status: 200\n"
    )
    for _ in range(2):
        db.transaction(load_inventory, inventory_file, MONDAY, default_interval_s=45)
    checks = db.transaction(probe_store.list_checks, HOST)
    assert [(c.label, c.options, c.interval_s) for c in checks] == [
        ("http:admin", {"expect_status": 200}, 45.0),
        ("ssh", {"port": 2222}, 30.0),
    ]

    inventory_file.write_text(
        inventory_file.read_text().replace("port: 2222", "prot: 2222"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"inventory.yaml:7: customers.0.hosts.0.checks.0.*prot"):
        read_inventory(inventory_file)


def test_it_adds_and_lists_checks_from_the_command_line(db: Database, cli: Cli) -> None:
    code, out, err = cli(
        "check", "add", HOST, "--kind", "tcp", "--target", "127.0.0.1", "--option", "port=5038"
    )
    assert code == 0, err
    assert "tcp of acme-pbx: 127.0.0.1, every 60 s" in out
    code, out, err = cli("check", "list", HOST)
    assert code == 0, err
    assert "tcp    127.0.0.1  60 s      not run yet        port=5038" in out

    code, _out, err = cli("check", "add", HOST, "--kind", "tcp", "--target", "h", "--option", "x=1")
    assert (code, err.strip()) == (
        2,
        "faultdesk-collector: tcp check options: x: Extra inputs are not permitted"
        " (the tcp options are: timeout_s, port)",
    )
    code, _out, err = cli("check", "list", "nobody")
    assert (code, err.strip()) == (1, "faultdesk-collector: no host 'nobody'")


def test_it_refuses_a_key_login_that_would_trust_any_host_key_unless_told(
    db: Database, cli: Cli
) -> None:
    login = ("check", "add", HOST, "--kind", "ssh", "--target", "pbx1.example:22",
             "--option", "user=root", "--option", "key=/etc/faultdesk/probe_ed25519")  # fmt: skip
    code, _out, err = cli(*login)
    assert code == 2
    assert "a key login needs host_key" in err and "trust_any_host_key=true" in err
    code, out, err = cli(*login, "--option", "trust_any_host_key=true")
    assert code == 0, err
    assert "ssh of acme-pbx: pbx1.example:22" in out
