"""Several collectors on one PostgreSQL database: one, elected, runs the schedules.

Real collectors (the aiohttp app, migrations, schedules) on a throwaway schema of the real
server; the lock holder is found and killed the way a DBA would, through ``pg_locks`` and
``pg_terminate_backend``. SQLite is one process: it always leads.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from collector.app import DUTIES, create_app
from collector.config.settings import DatabaseSettings, MonitoringSettings
from collector.jobs.leadership import LEADERSHIP, LOCK_NAME, AdvisoryLockLeadership, elect, lock_key
from collector.store.engines import make_engine
from collector.web.appkeys import METRICS
from tests.support.collector import collector_config
from tests.support.postgres import SERVER, postgres_schema_url
from tests.support.tcp_proxy import TcpProxy, tcp_proxy

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]


@pytest.fixture
def schema() -> Iterator[tuple[str, str]]:
    """A throwaway schema on the real server: (its name, a URL that uses it)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with postgres_schema_url(name) as url:
        yield name, url


@pytest.fixture
def admin() -> Iterator[psycopg.Connection[Any]]:
    plain = SERVER.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        yield conn


def _app(url: str, tmp_path: Path, retry_s: float) -> web.Application:
    config = collector_config(url, tmp_path).model_copy(
        update={
            "database": DatabaseSettings(url=url, leader_retry_s=retry_s),
            "monitoring": MonitoringSettings(sweep_interval_s=0.1),
        }
    )
    return create_app(config, run_schedules=True)


@asynccontextmanager
async def _running(app: web.Application) -> AsyncIterator[Client]:
    async with TestClient(TestServer(app)) as client:
        yield client


async def _poll(condition: Callable[[], Any], what: str) -> None:
    """Wait for ``condition``, sync or async (a generous bound, so that only a hang fails)."""
    for _ in range(600):
        met = condition()
        if await met if inspect.isawaitable(met) else met:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting: {what}")


async def _state(client: Client) -> tuple[bool, float, float]:
    """What the collector says of itself: /readyz's leader, the faultdesk_leader gauge, and
    how many heartbeat sweeps it has run."""
    ready = await (await client.get("/readyz")).json()
    text = await (await client.get("/metrics")).text()
    gauge, sweeps = -1.0, 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "faultdesk_leader":
                gauge = sample.value
            if sample.name == "faultdesk_scheduled_runs_total" and sample.labels == {
                "job": "heartbeat"
            }:
                sweeps = sample.value
    return ready["leader"], gauge, sweeps


def _sweeps(client: Client) -> float:
    """Heartbeat sweeps run so far, read in process: asks nothing of the database."""
    value = client.app[METRICS].registry.get_sample_value(
        "faultdesk_scheduled_runs_total", {"job": "heartbeat"}
    )
    return value or 0.0


def _through(url: str, proxy: TcpProxy) -> str:
    """``url`` with the server reached through ``proxy``."""
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


def _is_leader(client: Client) -> bool:
    return bool(client.app[LEADERSHIP].is_leader)


def _lock_holder(admin: psycopg.Connection[Any], schema: str) -> int | None:
    """The server process holding this schema's leader lock, as a DBA would look it up."""
    key = lock_key(LOCK_NAME, schema) & 0xFFFFFFFFFFFFFFFF
    row = admin.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = %s AND objid = %s AND objsubid = 1",
        (key >> 32, key & 0xFFFFFFFF),
    ).fetchone()
    return None if row is None else int(row[0])


def _sessions(admin: psycopg.Connection[Any], pids: list[int]) -> list[int]:
    rows = admin.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,))
    return [int(pid) for (pid,) in rows]


async def test_it_runs_the_schedules_in_one_of_two_collectors_only(
    schema: tuple[str, str], tmp_path: Path
) -> None:
    _name, url = schema
    async with (
        _running(_app(url, tmp_path, 0.2)) as first,
        _running(_app(url, tmp_path, 0.2)) as second,
    ):
        # Each has tried for the lock before it started serving.
        assert (_is_leader(first), _is_leader(second)) == (True, False)

        async def leader_has_swept_three_times() -> bool:
            return (await _state(first))[2] >= 3

        await _poll(leader_has_swept_three_times, "the leader's heartbeat sweeps")
        assert (await _state(first))[:2] == (True, 1.0)
        # Meanwhile the follower has run no sweep at all: its schedules never started.
        assert await _state(second) == (False, 0.0, 0.0)
        assert second.app[DUTIES].running is False
        # The follower still serves: ready, and answering the API.
        assert (await second.get("/readyz")).status == 200
        assert (await second.get("/api/v1/openapi.json")).status == 200


async def test_it_hands_the_schedules_over_when_the_leader_stops(
    schema: tuple[str, str], tmp_path: Path, admin: psycopg.Connection[Any]
) -> None:
    name, url = schema
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(_running(_app(url, tmp_path, 0.2)))
        second = await stack.enter_async_context(_running(_app(url, tmp_path, 0.2)))
        assert _is_leader(first) and not _is_leader(second)
        first_pid = _lock_holder(admin, name)
        assert first_pid is not None

        await first.close()  # the app's cleanup: schedules stopped, lock connection closed

        await _poll(lambda: _is_leader(second), "the follower to take over")
        assert _lock_holder(admin, name) not in (None, first_pid)
        # The server ends a closed connection's backend a moment after the client closes it.
        await _poll(lambda: _sessions(admin, [first_pid]) == [], "the old lock session to end")

        async def second_sweeps() -> bool:
            return (await _state(second))[2] >= 1

        await _poll(second_sweeps, "the new leader's heartbeat sweeps")
        assert (await _state(second))[:2] == (True, 1.0)


async def test_it_steps_down_at_once_when_its_lock_connection_is_killed(
    schema: tuple[str, str], tmp_path: Path, admin: psycopg.Connection[Any]
) -> None:
    name, url = schema
    # The old leader retries slowly, so the follower wins the race for the freed lock.
    async with (
        _running(_app(url, tmp_path, 30.0)) as first,
        _running(_app(url, tmp_path, 0.2)) as second,
    ):
        assert _is_leader(first) and not _is_leader(second)
        holder = _lock_holder(admin, name)
        leadership = first.app[LEADERSHIP]
        assert isinstance(leadership, AdvisoryLockLeadership)
        assert holder == leadership.backend_pid

        admin.execute("SELECT pg_terminate_backend(%s)", (holder,))

        # Noticed on the socket, not at the next 30 s check. Its duties stop in a task of their
        # own, started as it steps down: wait for both.
        await _poll(
            lambda: not _is_leader(first) and not first.app[DUTIES].running,
            "the old leader to step down and stop its duties",
        )
        await _poll(lambda: _is_leader(second), "the follower to take over")
        assert second.app[DUTIES].running is True
        new_leadership = second.app[LEADERSHIP]
        assert isinstance(new_leadership, AdvisoryLockLeadership)
        assert _lock_holder(admin, name) == new_leadership.backend_pid
        assert (await _state(first))[:2] == (False, 0.0)


async def test_it_steps_down_when_the_network_to_its_database_goes_silent(
    schema: tuple[str, str], tmp_path: Path, admin: psycopg.Connection[Any]
) -> None:
    name, url = schema
    async with AsyncExitStack() as stack:
        proxy = stack.enter_context(tcp_proxy())
        first = await stack.enter_async_context(_running(_app(_through(url, proxy), tmp_path, 0.5)))
        second = await stack.enter_async_context(_running(_app(url, tmp_path, 0.2)))
        # Unwound before the collectors close: their queries held on the silent network would
        # otherwise hold up their shutdown.
        stack.callback(proxy.resume)
        assert _is_leader(first) and not _is_leader(second)
        leadership = first.app[LEADERSHIP]
        assert isinstance(leadership, AdvisoryLockLeadership)
        holder = leadership.backend_pid
        assert holder is not None and _lock_holder(admin, name) == holder
        await _poll(lambda: _sweeps(first) >= 1, "the leader's heartbeat sweeps")

        proxy.silence()

        # Nothing closes, nothing errs: only the unanswered SELECT 1 tells it.
        await _poll(
            lambda: not _is_leader(first) and not first.app[DUTIES].running,
            "the silenced leader to step down and stop its duties",
        )
        swept = _sweeps(first)
        # The server has seen nothing wrong: the silent session still holds the lock, so no
        # follower can lead yet (two leaders would be worse than none).
        assert _lock_holder(admin, name) == holder
        assert not _is_leader(second)

        # What the server does once it notices the dead peer: end the sessions that came
        # through the silent network (found as a DBA would, by their client port).
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE client_addr = '127.0.0.1' AND client_port = ANY(%s)",
            (proxy.upstream_ports(),),
        )
        await _poll(lambda: _is_leader(second), "the follower to take over")
        new_leadership = second.app[LEADERSHIP]
        assert isinstance(new_leadership, AdvisoryLockLeadership)
        assert _lock_holder(admin, name) == new_leadership.backend_pid
        follower_swept = _sweeps(second)
        await _poll(lambda: _sweeps(second) >= follower_swept + 3, "the new leader's sweeps")
        # The new leader has swept three times since; the old one not once since it stepped down.
        assert _sweeps(first) == swept

        proxy.resume()

        # Reachable again, it says it follows, and it has stayed a follower.
        assert await _state(first) == (False, 0.0, swept)
        assert not _is_leader(first) and first.app[DUTIES].running is False


async def test_it_closes_every_lock_connection_when_collectors_stop(
    schema: tuple[str, str], tmp_path: Path, admin: psycopg.Connection[Any]
) -> None:
    _name, url = schema
    pids = []
    async with (
        _running(_app(url, tmp_path, 0.2)) as first,
        _running(_app(url, tmp_path, 0.2)) as second,
    ):
        for client in (first, second):
            leadership = client.app[LEADERSHIP]
            assert isinstance(leadership, AdvisoryLockLeadership)
            assert leadership.backend_pid is not None
            pids.append(leadership.backend_pid)
        assert len(_sessions(admin, pids)) == 2
    # The server ends a closed connection's backend a moment after the client closes it.
    await _poll(lambda: _sessions(admin, pids) == [], "every lock session to end")


async def test_it_always_leads_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    async with _running(_app(sqlite_url, tmp_path, 0.2)) as client:
        assert _is_leader(client)

        async def swept() -> bool:
            return (await _state(client))[2] >= 1

        await _poll(swept, "heartbeat sweeps on SQLite")
        assert (await _state(client))[:2] == (True, 1.0)


async def test_it_follows_without_failing_while_the_database_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now: every connection is refused
    engine = make_engine(f"postgresql+psycopg://faultdesk@127.0.0.1:{port}/faultdesk")
    started: list[str] = []

    async def stopped() -> None:
        started.append("stopped")

    leadership = elect(engine, 0.05, lambda: started.append("started"), stopped)
    await leadership.start()
    for _ in range(5):  # several more refused tries in the background
        await asyncio.sleep(0.05)
    assert not leadership.is_leader
    await leadership.stop()
    engine.dispose()
    assert started == []
    refusals = [r for r in caplog.records if "cannot reach the database" in r.getMessage()]
    assert len(refusals) == 1  # said once, not at every try
