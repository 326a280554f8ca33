"""Every host's latest figures for Prometheus: fresh ones only, labels escaped, behind a token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection

from collector.app import create_app
from collector.store import inventory
from collector.store import series as series_store
from collector.store.operators import create_token
from collector.store.series import Sample
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config
from tests.support.openapi import Documented
from tests.support.operators import operator_without_password

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PATH = "/api/v1/export/prometheus"


def figures(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme", NOW)
    inventory.add_host(conn, "pbx1", "acme", NOW)
    inventory.add_host(conn, "old1", "acme", NOW)
    fresh, stale = int((NOW - timedelta(minutes=1)).timestamp()), int(NOW.timestamp()) - 3600
    series_store.record(
        conn,
        [
            Sample("pbx1", "cpu_percent", fresh - 60, 10.0),
            Sample("pbx1", "cpu_percent", fresh, 12.5),
            Sample("pbx1", 'filesystem:/mnt/"odd".used_percent', fresh, 40.0),
            Sample("old1", "cpu_percent", stale, 99.0),
        ],
    )


@pytest.fixture
async def api(tmp_path: Path, database_url: str) -> AsyncIterator[Documented]:
    app = create_app(
        collector_config(database_url, tmp_path), clock=lambda: NOW, run_schedules=False
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(operator_without_password, "alice")
        await db.write(figures)
        yield Documented(client, await db.write(create_token, "alice", "prometheus", NOW))


async def test_it_exports_each_hosts_fresh_figures_with_bounded_labels(api: Documented) -> None:
    text = await api.call("GET", PATH, 200)
    (family,) = text_string_to_metric_families(text)
    assert family.name == "faultdesk_host_figure" and family.type == "gauge"
    found = {(s.labels["host"], s.labels["metric"]): s.value for s in family.samples}
    assert found == {
        ("pbx1", "cpu_percent"): 12.5,
        ("pbx1", 'filesystem:/mnt/"odd".used_percent'): 40.0,
    }
    assert {tuple(sorted(s.labels)) for s in family.samples} == {("customer", "host", "metric")}


async def test_it_refuses_a_scrape_without_a_token(api: Documented) -> None:
    response = await api.client.get(PATH)
    assert response.status == 401
