"""Remote checks end to end: real probes, stored results, faults opened and resolved."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig, ProbeSettings
from collector.engine.probe_results import CheckRun, record_runs
from collector.jobs.probe_scheduler import ProbeScheduler
from collector.probes.base import ProbeResult, Verdict
from collector.probes.runner import ProbeRunner
from collector.runtime.metrics import Metrics
from collector.store import faults as fault_store
from collector.store import inventory, watch_states
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.store.probe_results import HostCheck
from tests.support.clock import Clock
from tests.support.sshd import Sshd, running_sshd
from tests.support.tls import write_self_signed_cert

pytestmark = pytest.mark.integration

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
HOST = "acme-pbx"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url)
    migrate(engine)
    database = Database(engine)
    database.transaction(_customer_with_host)
    yield database
    database.close()


def _customer_with_host(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", MONDAY)
    inventory.set_contacts(conn, "acme", [("Jo", "jo@acme.example")])
    inventory.add_host(conn, HOST, "acme", MONDAY, name="pbx1")


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"probes": ProbeSettings(jitter_s=0)}


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    with running_sshd(tmp_path) as server:
        yield server


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens on it once the socket is closed


def _add_check(db: Database, kind: str, target: str, **options: object) -> HostCheck:
    return db.transaction(probe_store.add_check, HOST, kind, target, MONDAY, options=options)


async def _run_once(scheduler: ProbeScheduler, clock: Clock, seconds: float = 60) -> None:
    clock.advance(timedelta(seconds=seconds))
    assert await scheduler.tick() == 1
    await scheduler.drain()


def _open_keys(db: Database) -> dict[str, str]:
    faults = db.transaction(fault_store.list_faults, host_id=HOST)
    return {fault.check_key: fault.severity for fault in faults}


def _suppressed(db: Database) -> dict[str, str | None]:
    faults = db.transaction(fault_store.list_faults, host_id=HOST)
    return {fault.check_key: fault.suppressed_by for fault in faults}


async def test_it_opens_a_remote_ssh_fault_after_failures_and_resolves_it_after_successes(
    db: Database, config: CollectorConfig, sshd: Sshd
) -> None:
    check = _add_check(db, "ssh", f"127.0.0.1:{_closed_port()}")
    clock = Clock(MONDAY)
    scheduler = ProbeScheduler(db, config, clock, Metrics())
    try:
        await _run_once(scheduler, clock, 0)
        assert _open_keys(db) == {}  # one failure is noise; the policy wants two
        await _run_once(scheduler, clock)
        # Its only remote-access check failing makes the host unreachable: one fault to mail.
        assert _open_keys(db) == {"remote.ssh": "critical", "host.down": "critical"}
        assert _suppressed(db) == {"remote.ssh": "host.down", "host.down": None}

        _add_check(db, "ssh", f"{sshd.host}:{sshd.port}")  # same check, now pointing at sshd
        await scheduler.reload()
        await _run_once(scheduler, clock)
        assert "remote.ssh" in _open_keys(db)  # one success is not a recovery
        await _run_once(scheduler, clock)
        assert _open_keys(db) == {}
    finally:
        await scheduler.stop()

    results = db.transaction(probe_store.recent_results, HOST)
    assert [r.verdict for r in results] == ["ok", "ok", "critical", "critical"]
    assert all(r.check_id == check.id for r in results)
    assert all(r.latency_ms is not None and r.latency_ms > 0 for r in results[:2])
    assert results[0].data["banner"].startswith("SSH-2.0-OpenSSH")
    assert results[3].detail == "connection refused"
    resolved = db.transaction(fault_store.list_faults, open_only=False, host_id=HOST)
    assert {f.resolved_at for f in resolved} == {MONDAY + timedelta(seconds=180)}


async def test_it_logs_in_with_the_configured_key_and_pinned_host_key(
    db: Database, config: CollectorConfig, sshd: Sshd
) -> None:
    check = _add_check(
        db,
        "ssh",
        sshd.host,
        port=sshd.port,
        user=sshd.username,
        key=str(sshd.client_key_path),
        host_key=sshd.host_key_line,
    )
    result = await ProbeRunner().run(check)
    db.transaction(record_runs, config, [CheckRun(check, result, MONDAY)], MONDAY)

    stored = db.transaction(probe_store.latest_by_check, HOST)[check.id]
    assert (stored.verdict, stored.data["login"]) == ("ok", sshd.username)
    states = db.transaction(watch_states.load, HOST)
    assert states["ssh.hostkey"].status == "ok"
    assert states["remote.ssh"].status == "ok"


@pytest.fixture
async def web_server(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """(http URL, https URL) of one in-test app; the certificate expires in 5 days."""

    async def home(_request: web.Request) -> web.Response:
        return web.Response(text="Welcome to the PBX admin")

    cert, key = write_self_signed_cert(tmp_path, valid_days=5)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    app = web.Application()
    app.router.add_get("/", home)
    runner = web.AppRunner(app)
    await runner.setup()
    plain = web.TCPSite(runner, "127.0.0.1", 0)
    secure = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await plain.start()
    await secure.start()
    ports = [_port(site) for site in (plain, secure)]
    yield f"http://127.0.0.1:{ports[0]}/", f"https://127.0.0.1:{ports[1]}/"
    await runner.cleanup()


def _port(site: web.TCPSite) -> int:
    server = site._server
    assert isinstance(server, asyncio.base_events.Server)
    port: int = server.sockets[0].getsockname()[1]
    return port


async def test_it_stores_http_results_with_latency_and_raises_a_certificate_fault(
    db: Database, config: CollectorConfig, web_server: tuple[str, str], tmp_path: Path
) -> None:
    http_url, https_url = web_server
    page = _add_check(db, "http", http_url, expect_text="PBX admin", expect_status=200)
    wrong = db.transaction(
        probe_store.add_check, HOST, "http", http_url, MONDAY, name="wrong",
        options={"expect_text": "Grafana"},
    )  # fmt: skip
    secure = db.transaction(
        probe_store.add_check, HOST, "http", https_url, MONDAY, name="tls",
        options={"ca_file": str(tmp_path / "cert-5d.pem")},
    )  # fmt: skip
    runner = ProbeRunner()
    try:
        runs = [CheckRun(c, await runner.run(c), MONDAY) for c in (page, wrong, secure)]
    finally:
        await runner.close()
    assert db.transaction(record_runs, config, runs, MONDAY) == 3

    latest = db.transaction(probe_store.latest_by_check, HOST)
    assert latest[page.id].verdict == "ok"
    assert latest[page.id].latency_ms is not None
    assert latest[page.id].data["status"] == 200
    assert latest[wrong.id].verdict == "critical"
    assert "'Grafana' not found" in latest[wrong.id].detail
    assert latest[secure.id].verdict == "warning"
    states = db.transaction(watch_states.load, HOST)
    assert states["remote.http"].status == "ok"
    assert states["remote.http:tls"].status == "ok"  # the site answers; the certificate is apart
    assert states["remote.http:wrong"].status == "critical"
    # A certificate check raises on its first observation; remote access needs two failures.
    assert _open_keys(db) == {"cert.http:tls": "minor"}


def test_it_drops_runs_of_checks_deleted_while_in_flight(
    db: Database, config: CollectorConfig
) -> None:
    check = _add_check(db, "tcp", "127.0.0.1:1")
    db.transaction(probe_store.remove_check, check.id)
    result = ProbeResult("tcp", check.target, Verdict.CRITICAL, None, "connection refused")
    assert db.transaction(record_runs, config, [CheckRun(check, result, MONDAY)], MONDAY) == 0
    assert db.transaction(probe_store.recent_results, HOST) == []


async def test_it_translates_each_kinds_options_for_its_probe() -> None:
    server = await asyncio.start_server(lambda _r, writer: writer.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    open_port = HostCheck(1, HOST, "tcp", "", "127.0.0.1", {"port": port, "timeout_s": 2})
    closed = f"127.0.0.1:{_closed_port()}"
    sip = HostCheck(2, HOST, "sip", "", closed, {"transport": "tcp", "timeout_s": 1})
    runner = ProbeRunner()
    try:
        tcp_result, sip_result = [await runner.run(check) for check in (open_port, sip)]
    finally:
        await runner.close()
        server.close()
        await server.wait_closed()
    assert (tcp_result.verdict, tcp_result.target) == ("ok", f"127.0.0.1:{port}")
    assert (sip_result.verdict, sip_result.data["transport"]) == ("critical", "tcp")


async def test_it_reports_a_check_it_cannot_run_as_unknown() -> None:
    check = HostCheck(1, HOST, "ssh", "", "127.0.0.1:22", options={"user": "root"})
    result = await ProbeRunner().run(check)
    assert result.verdict == "unknown"
    assert result.detail.startswith("bad check configuration: ssh check options: ")


async def test_it_runs_a_check_changed_since_its_last_run_with_what_it_is_now() -> None:
    server = await asyncio.start_server(lambda _r, writer: writer.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    before = HostCheck(1, HOST, "tcp", "", f"127.0.0.1:{port}")
    twin = HostCheck(2, HOST, "tcp", "", f"127.0.0.1:{port}")
    moved = HostCheck(1, HOST, "tcp", "", f"127.0.0.1:{_closed_port()}")
    misconfigured = HostCheck(1, HOST, "tcp", "", "127.0.0.1", {"timeout_s": 1})
    runner = ProbeRunner()
    try:
        results = [await runner.run(check) for check in (before, twin, moved, misconfigured)]
    finally:
        await runner.close()
        server.close()
        await server.wait_closed()
    assert [str(result.verdict) for result in results] == ["ok", "ok", "critical", "unknown"]
    assert results[3].detail == (
        "bad check configuration: target '127.0.0.1' needs a port (host:port or the port option)"
    )
