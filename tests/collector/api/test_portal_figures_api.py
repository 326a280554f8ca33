"""A customer's token reads its own hosts' latest figures and series through the customers'
API, and never another customer's: by id, by a guessed id, or through the query."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection, update

from collector.app import create_app
from collector.store import customer_users, inventory, schema
from collector.store import series as series_store
from collector.store.series import Sample
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config
from tests.support.openapi import Documented

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NOW_S = int(NOW.timestamp())
HOST = "/api/v1/portal/hosts/{id}"
SERIES = "/api/v1/portal/hosts/{id}/series"


def two_customers_with_figures(conn: Connection) -> None:
    """Acme's pbx-1 and Globex's gx1, each with three minutes of CPU figures of its own."""
    for customer, host, base in (("acme", "pbx-1", 10.0), ("globex", "gx1", 70.0)):
        inventory.add_customer(conn, customer, customer.title(), NOW)
        inventory.add_host(conn, host, customer, NOW, interval_s=60)
        samples = [Sample(host, "cpu_percent", NOW_S - 60 * (3 - n), base + n) for n in range(3)]
        series_store.record(conn, samples)
    # Both reported half a minute ago: the hosts are up.
    conn.execute(update(schema.hosts).values(last_seen_at=NOW - timedelta(seconds=30)))
    customer_users.add_user(conn, "acme", "pat@acme.example", "customer", NOW)


@pytest.fixture
async def acme(tmp_path: Path, database_url: str) -> AsyncIterator[Documented]:
    app = create_app(
        collector_config(database_url, tmp_path), clock=lambda: NOW, run_schedules=False
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(two_customers_with_figures)
        token = await db.write(customer_users.create_token, "pat@acme.example", "t", NOW)
        yield Documented(client, token)


async def test_it_shows_a_customer_its_hosts_latest_figures(acme: Documented) -> None:
    host = await acme.call("GET", HOST, 200, "/api/v1/portal/hosts/pbx-1")
    assert (host["id"], host["status"], host["open_faults"]) == ("pbx-1", "ok", 0)
    assert host["latest"] == {"cpu_percent": 12.0}


async def test_it_shows_a_customer_its_hosts_series(acme: Documented) -> None:
    found = await acme.call(
        "GET", SERIES, 200, "/api/v1/portal/hosts/pbx-1/series", params={"metric": "cpu_percent"}
    )
    assert (found["metric"], found["step_s"]) == ("cpu_percent", 60)
    assert found["points"] == [[NOW_S - 60 * (3 - n), v, v, v] for n, v in enumerate((10, 11, 12))]


@pytest.mark.parametrize("host_id", ["gx1", "no-such-host"], ids=["globex", "guessed"])
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"metric": "cpu_percent"},
        {"metric": "cpu_percent", "customer": "globex", "host": "gx1"},
        {"metric": "cpu_percent", "from": "yesterday"},
    ],
    ids=["no-metric", "metric", "filters", "bad-range"],
)
async def test_it_answers_404_for_a_host_not_the_customers_whatever_the_query(
    acme: Documented, host_id: str, query: dict[str, str]
) -> None:
    path = f"/api/v1/portal/hosts/{host_id}"
    body = await acme.call("GET", HOST, 404, path, params=query)
    series = await acme.call("GET", SERIES, 404, path + "/series", params=query)
    assert "70" not in str(body) + str(series)


async def test_it_refuses_a_bad_query_about_the_customers_own_host(acme: Documented) -> None:
    path = "/api/v1/portal/hosts/pbx-1/series"
    refused = await acme.call("GET", SERIES, 400, path, params={"metric": "cpu", "from": "x"})
    assert refused["field"] == "from"
    unknown = await acme.call("GET", SERIES, 404, path, params={"metric": "memory.used_percent"})
    assert unknown["field"] == "metric"
