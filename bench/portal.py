"""The customer's pages beside the operator's overview, on the same data: a big customer with
500 hosts and 5,000 past incidents among 200 customers.

    .venv/bin/python bench/portal.py              # a fifth of the data, quick
    .venv/bin/python bench/portal.py --scale 1    # the issue's figures

Each page is requested in turn from the real collector application in this process (SQLite,
signed-in sessions, the real templates); the time is from request to the last byte of the
answer. Printed: median and p95 of the big customer's status page, ticket list, a host page
with 20 figures of two days' history and one graph's data, and of the operator's overview (the
baseline) and host page, and their ratios. The goal (issue 13): the customer's pages
within 1.5x of the operator's overview, and under 150 ms p95.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection, insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.app import create_app  # noqa: E402
from collector.config.settings import CollectorConfig  # noqa: E402
from collector.store import customer_users, operators, schema  # noqa: E402
from collector.store import series as series_store  # noqa: E402
from collector.store.database import Database  # noqa: E402
from collector.store.sessions import start_session  # noqa: E402
from collector.web.appkeys import DATABASE  # noqa: E402
from dashboard import sessions  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BIG = "big"
#: The host whose page is timed, with FIGURES figures sampled every minute for two days.
HOST, FIGURES = f"{BIG}-h0", 20


def populate(conn: Connection, scale: float) -> None:
    customers = max(2, int(200 * scale))
    big_hosts, big_incidents = int(500 * scale) or 1, int(5000 * scale) or 1
    other_hosts = 2
    conn.execute(
        insert(schema.customers),
        [{"id": BIG if i == 0 else f"c{i}", "name": f"Customer {i}", "created_at": NOW}
         for i in range(customers)],
    )  # fmt: skip
    hosts = []
    for i in range(customers):
        cid = BIG if i == 0 else f"c{i}"
        for h in range(big_hosts if i == 0 else other_hosts):
            hosts.append(
                {"id": f"{cid}-h{h}", "customer_id": cid, "name": f"{cid}-h{h}", "kind": "server",
                 "key": "00" * 32, "interval_s": 60.0, "created_at": NOW,
                 "last_seen_at": NOW - timedelta(seconds=30), "last_seq": 1}
            )  # fmt: skip
    conn.execute(insert(schema.hosts), hosts)
    faults, incidents = [], []
    fault_id = 0
    for i in range(customers):
        cid = BIG if i == 0 else f"c{i}"
        count = big_incidents if i == 0 else max(1, big_incidents // customers)
        for n in range(count):
            fault_id += 1
            opened = NOW - timedelta(hours=n + 1)
            host = f"{cid}-h{n % (big_hosts if i == 0 else other_hosts)}"
            still_open = n < 3
            faults.append(
                {"id": fault_id, "customer_id": cid, "host_id": host, "check_key": f"disk:{n}",
                 "severity": "major", "title": f"Disk {n} full", "detail": "", "opened_at": opened,
                 "resolved_at": None if still_open else opened + timedelta(minutes=30),
                 "flapping": False, "recovery_notified": not still_open,
                 "notified_severity": "major", "last_notified_at": opened}
            )  # fmt: skip
            incidents.append(
                {"id": fault_id, "fault_id": fault_id, "customer_id": cid, "tier": "cat2",
                 "covered": True, "severity": "major",
                 "status": "open" if still_open else "closed", "opened_at": opened,
                 "response_due_at": opened + timedelta(hours=4), "policy": {"tier": "cat2"},
                 "closed_at": None if still_open else opened + timedelta(hours=1),
                 "responded_at": opened + timedelta(minutes=20)}
            )  # fmt: skip
    conn.execute(insert(schema.faults), faults)
    conn.execute(insert(schema.incidents), incidents)
    end = int(NOW.timestamp())
    series_store.record(
        conn,
        [series_store.Sample(HOST, f"m{m}.used_percent", end - 60 * n, float(n % 100))
         for m in range(FIGURES) for n in range(48 * 60)],
    )  # fmt: skip


def cookie(db: Database, config: CollectorConfig, kind: str, account_id: int) -> str:
    secret = db.transaction(start_session, kind, account_id, NOW, NOW + timedelta(hours=12))
    return sessions.encode(config.secret_key, sessions.new_session(NOW, secret))


async def timed(client: TestClient[web.Request, web.Application], path: str, value: str,
                rounds: int) -> list[float]:  # fmt: skip
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({sessions.COOKIE: value}, client.make_url("/"))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = await client.get(path, allow_redirects=False)
        await response.read()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status == 200, (path, response.status)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


async def main(scale: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = CollectorConfig.model_validate(
            {"secret_key": "bench-secret-0123456789",
             "database": {"url": f"sqlite:///{Path(tmp) / 'bench.db'}"},
             "http": {"secure_cookies": False}}
        )  # fmt: skip
        app = create_app(config, clock=lambda: NOW, run_schedules=False)
        async with TestClient(TestServer(app)) as client:
            db = app[DATABASE]
            started = time.perf_counter()
            await db.write(populate, scale)
            operator = await db.write(operators.add_operator, "olga", "bench password", NOW)
            user = await db.write(customer_users.add_user, BIG, "pat@big.example", "customer", NOW)
            print(f"data: scale {scale:g}, written in {time.perf_counter() - started:.1f} s")
            op_cookie = cookie(db, config, "operator", operator.id)
            customer_cookie = cookie(db, config, "customer", user.id)
            baseline = await timed(client, "/", op_cookie, rounds)
            rows = [("operator overview (baseline)", baseline)]
            for label, path in (("customer status", "/portal/"),
                                ("customer tickets", "/portal/tickets"),
                                ("customer host page", f"/portal/hosts/{HOST}"),
                                ("customer graph data 24h", f"/portal/hosts/{HOST}/series.json"
                                 "?range=24h&metric=m0.used_percent")):  # fmt: skip
                rows.append((label, await timed(client, path, customer_cookie, rounds)))
            operator_host = await timed(client, f"/hosts/{HOST}", op_cookie, rounds)
            rows.append(("operator host page", operator_host))
    base_median = statistics.median(baseline)
    print(f"{'page':30} {'median ms':>10} {'p95 ms':>8} {'ratio':>6}")
    for label, times in rows:
        ratio = statistics.median(times) / base_median
        print(f"{label:30} {statistics.median(times):10.1f} {p95(times):8.1f} {ratio:6.2f}")
    print("goal: customer pages within 1.5x of the overview's median, p95 under 150 ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2, help="1 = the issue's figures")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.scale, args.rounds))
