"""A host sending far more often than its interval gets 429 with Retry-After; others don't."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection

from agent import protocol
from collector.app import create_app
from collector.ingest.handler import HOST_PACING
from collector.ingest.pacing import HostPacing
from collector.store import inventory
from collector.store.reports import stored_seqs
from collector.web.appkeys import DATABASE
from tests.support.collector import HOST_KEY, collector_config, report_body, signed

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_it_lets_a_burst_through_then_holds_the_pace() -> None:
    ticks = Ticks()
    pacing = HostPacing(burst=3, per_interval=10, clock=ticks)
    assert [pacing.admit("h", 60) for _ in range(3)] == [None, None, None]
    wait = pacing.admit("h", 60)
    assert wait == pytest.approx(6.0)  # ten per 60 s: one every 6 s
    assert pacing.admit("other", 60) is None
    ticks.now += 6
    assert pacing.admit("h", 60) is None
    assert pacing.admit("h", 60) is not None


def test_it_paces_a_tiny_declared_interval_as_one_second() -> None:
    ticks = Ticks()
    pacing = HostPacing(burst=1, per_interval=10, clock=ticks)
    pacing.admit("h", 0.001)
    assert pacing.admit("h", 0.001) == pytest.approx(0.1)


def _seed(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", NOW)
    for host in ("pbx-1", "pbx-2"):
        inventory.add_host(conn, host, "acme", NOW, key=HOST_KEY)


@pytest.fixture
async def client(sqlite_url: str, tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(collector_config(sqlite_url, tmp_path), run_schedules=False)
    app[HOST_PACING] = HostPacing(burst=3)
    async with TestClient(TestServer(app)) as client:
        await app[DATABASE].write(_seed)
        yield client


async def _send(client: TestClient[Any, Any], host: str, seq: int) -> Any:
    body = protocol.encode(report_body(host, seq))
    headers = signed(body, host=host)
    return await client.post(protocol.REPORTS_PATH, data=io.BytesIO(body), headers=headers)


async def test_it_answers_429_to_a_host_far_above_its_interval(
    client: TestClient[Any, Any],
) -> None:
    for seq in (1, 2, 3):
        assert (await _send(client, "pbx-1", seq)).status == 200
    refused = await _send(client, "pbx-1", 4)
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "far more often" in (await refused.json())["error"]
    assert (await _send(client, "pbx-2", 1)).status == 200
    assert await client.app[DATABASE].read(stored_seqs, "pbx-1") == [1, 2, 3]
