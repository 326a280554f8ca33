"""A host's figures through the JSON API: the latest of each, and one over a range."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection

from agent import protocol
from collector.app import MONITOR, create_app
from collector.store import inventory
from collector.store.operators import create_token
from collector.store.reports import unprocessed_count
from collector.web.appkeys import DATABASE
from tests.support.collector import HOST_KEY, collector_config, signed
from tests.support.figures import system_probes
from tests.support.openapi import Documented
from tests.support.operators import operator_without_password

NOW = datetime.now(UTC).replace(microsecond=0)
HOST = "/api/v1/hosts/{id}"
SERIES = "/api/v1/hosts/{id}/series"


def seed(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme", NOW)
    inventory.add_host(conn, "web-1", "acme", NOW, key=HOST_KEY)


@pytest.fixture
async def api(tmp_path: Path, database_url: str) -> AsyncIterator[Documented]:
    config = collector_config(database_url, tmp_path)
    app = create_app(config, clock=lambda: NOW, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(operator_without_password, "alice")
        await db.write(seed)
        yield Documented(client, await db.write(create_token, "alice", "tests", NOW))


async def send(client: TestClient[Any, Any], seq: int, at: datetime, **figures: Any) -> None:
    body = protocol.encode(
        protocol.build_report(
            host_id="web-1",
            seq=seq,
            sampled_at=at,
            interval_s=60,
            agent_version="test",
            probes=system_probes(**figures),
        )
    )
    response = await client.post(protocol.REPORTS_PATH, data=body, headers=signed(body, "web-1"))
    assert response.status == 200, await response.text()


async def evaluated(client: TestClient[Any, Any]) -> None:
    """Evaluate every report now (the collector's own monitor may take some of them first)."""
    db = client.app[DATABASE]
    for _ in range(100):
        await client.app[MONITOR].process_pending()
        if not await db.read(unprocessed_count):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("reports were not evaluated")


async def test_it_serves_the_latest_figures_and_a_series_at_raw_resolution(
    api: Documented,
) -> None:
    client = api.client
    for n, cpu in enumerate((10.0, 20.0, 30.0)):
        at = NOW - timedelta(minutes=3 - n)
        await send(client, n + 1, at, cpu=cpu, received=1000 + 6000 * n)
    await evaluated(client)
    host = await api.call("GET", HOST, 200, "/api/v1/hosts/web-1")
    assert host["latest"]["cpu_percent"] == 30.0
    assert host["latest"]["filesystem:/.used_percent"] == 51.0
    assert host["latest"]["network:eth0.received_bytes_per_s"] == 100.0
    path = "/api/v1/hosts/web-1/series"
    found = await api.call("GET", SERIES, 200, path, params={"metric": "cpu_percent"})
    assert found["metric"] == "cpu_percent" and found["step_s"] == 60
    start = int((NOW - timedelta(minutes=3)).timestamp())
    assert found["points"] == [[start + 60 * n, v, v, v] for n, v in enumerate((10, 20, 30))]


async def test_it_lands_a_replayed_report_at_its_sampled_at_in_the_rollups(
    api: Documented,
) -> None:
    client = api.client
    await send(client, 1, NOW, cpu=50.0)
    three_days_ago = NOW - timedelta(days=3)
    bucket = three_days_ago - timedelta(seconds=int(three_days_ago.timestamp()) % 300)
    await send(client, 2, bucket + timedelta(seconds=10), cpu=10.0)
    await send(client, 3, bucket + timedelta(seconds=70), cpu=40.0)
    await evaluated(client)
    params = {
        "metric": "cpu_percent",
        "from": (NOW - timedelta(days=4)).isoformat(),
        "to": (NOW - timedelta(days=2)).isoformat(),
    }
    found = await api.call("GET", SERIES, 200, "/api/v1/hosts/web-1/series", params=params)
    assert found["step_s"] == 300
    assert found["points"] == [[int(bucket.timestamp()), 10.0, 25.0, 40.0]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "metric"),
        ({"metric": "cpu_percent", "from": "yesterday"}, "from"),
        ({"metric": "cpu_percent", "to": "2026-12-01T10:00:00"}, "to"),
        ({"metric": "cpu_percent", "from": "2026-12-02T00:00Z", "to": "2026-12-01T00:00Z"}, "from"),
    ],
)
async def test_it_refuses_a_bad_query_naming_the_parameter(
    api: Documented, params: dict[str, str], field: str
) -> None:
    answer = await api.call("GET", SERIES, 400, "/api/v1/hosts/web-1/series", params=params)
    assert answer["field"] == field


async def test_it_answers_404_for_an_unknown_host_or_metric(api: Documented) -> None:
    params = {"metric": "cpu_percent"}
    await api.call("GET", SERIES, 404, "/api/v1/hosts/nope/series", params=params)
    answer = await api.call(
        "GET", SERIES, 404, "/api/v1/hosts/web-1/series", params={"metric": "nothing"}
    )
    assert answer["field"] == "metric"
