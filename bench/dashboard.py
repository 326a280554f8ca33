"""Dashboard speed and storage: the overview, a host page with its 24 h and 90 d graphs and the
customer page, timed against ``GET /healthz`` on the same collector (the baseline), and the
database size per host at steady state under the default retention.

    .venv/bin/python bench/dashboard.py                      # small and quick
    .venv/bin/python bench/dashboard.py --hosts 10000 --customers 500 --history-hosts 5

The fleet is ``--hosts`` hosts in ``--customers`` customers, a few of them with open faults or
silent. ``--history-hosts`` of them get the history a host has after months at the default
retention (``history:`` settings: raw samples 48 h, 5-minute buckets 8 days, hourly buckets 13
months) of ``--metrics`` figures, and 7 days of evaluated reports (one a minute, each with its
own fractional figures, stored as the collector stores them: compressed). Pages are timed
through HTTP on loopback (client round trip, in the same process), ``--requests`` times each;
the baseline is the collector's own ``/healthz``, so the ratios say what a page costs beyond
serving anything. The overview is timed as an operator lands on it, and filtered (a fifth of
the hosts match, and only those are read). Storage is the database file's growth per history
host after a WAL checkpoint, with each table's share (its indexes included).
Goals (issue 14): overview p95 <= 300 ms, host page <= 150 ms, a graph's data <= 50 ms, storage
<= 25 MB per host with 20 figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from sqlalchemy import Connection, insert, text, update  # noqa: E402

from collector.app import create_app  # noqa: E402
from collector.config.settings import CollectorConfig, HistorySettings  # noqa: E402
from collector.store import faults, inventory, operators  # noqa: E402
from collector.store import sessions as session_rows  # noqa: E402
from collector.store.reports import IncomingReport, store_reports  # noqa: E402
from collector.store.schema import hosts  # noqa: E402
from collector.store.telemetry_schema import series, series_1h, series_5m, series_raw  # noqa: E402
from collector.web.appkeys import DATABASE  # noqa: E402
from dashboard import sessions  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
METRIC_NAMES = ["cpu_percent", "load_1m", "memory.used_percent", "swap.used_percent"]


def metrics(count: int) -> list[str]:
    extra = [f"filesystem:/d{n}.used_percent" for n in range(count)]
    return (METRIC_NAMES + extra)[:count]


def fleet(conn: Connection, args: argparse.Namespace) -> None:
    for c in range(args.customers):
        inventory.add_customer(conn, f"c{c:04}", f"Customer {c:04}", NOW)
        inventory.add_contract(conn, f"c{c:04}", "cat2", NOW - timedelta(days=60), None)
    rows = [
        {
            "id": f"h{h:05}",
            "customer_id": f"c{h % args.customers:04}",
            "name": f"host {h:05}",
            "kind": "pbx" if h % 5 == 0 else "server",
            "key": "00" * 32,
            "interval_s": 60.0,
            "created_at": NOW - timedelta(days=400),
            "last_seen_at": NOW - timedelta(seconds=30),
        }
        for h in range(args.hosts)
    ]
    conn.execute(insert(hosts), rows)
    silent = [f"h{h:05}" for h in range(0, args.hosts, 97)]
    conn.execute(
        update(hosts).where(hosts.c.id.in_(silent)).values(last_seen_at=NOW - timedelta(hours=1))
    )
    for h in range(0, args.hosts, 53):
        faults.open_fault(
            conn, host_id=f"h{h:05}", check_key="disk:/", severity="major",
            title="Disk / 91% full", detail="", at=NOW - timedelta(hours=2),
        )  # fmt: skip
    operators.add_operator(conn, "bench", "bench-password-1", NOW)


def history(conn: Connection, host_id: str, figures: int, kept: HistorySettings) -> None:
    """What the default retention leaves a host with: raw samples, 5-minute and hourly buckets
    of every figure, each as far back as it is kept.

    Rows go in as the collector writes them, oldest first and every figure at each moment, so
    the B-trees fill as they do in service. Values are fractional and vary as real figures do:
    SQLite stores a whole-number REAL in fewer bytes, so round numbers would flatter the size.
    """
    end = int(NOW.timestamp())
    noise = random.Random(host_id)
    ids = [
        conn.execute(
            insert(series).values(host_id=host_id, metric=metric).returning(series.c.id)
        ).scalar_one()
        for metric in metrics(figures)
    ]
    spans = (
        (series_raw, 60, kept.raw_retention_hours * 3600),
        (series_5m, 300, kept.five_minute_retention_days * 86400),
        (series_1h, 3600, kept.hourly_retention_days * 86400),
    )
    for table, step, keep_s in spans:
        first = end - end % step - int(keep_s) // step * step
        moments = range(first, end, step)
        if table is series_raw:
            rows = [
                {"series_id": i, "at": at, "value": noise.uniform(0, 100)}
                for at in moments
                for i in ids
            ]
        else:
            rows = [bucket(i, at, step, noise) for at in moments for i in ids]
        conn.execute(insert(table), rows)  # executed row by row, in this order


def bucket(series_id: int, at: int, step: int, noise: random.Random) -> dict[str, object]:
    low, high = sorted((noise.uniform(0, 100), noise.uniform(0, 100)))
    samples = step // 60
    return {
        "series_id": series_id,
        "at": at,
        "low": low,
        "high": high,
        "total": noise.uniform(low, high) * samples,
        "count": samples,
    }


def reports(conn: Connection, host_id: str, figures: int) -> None:
    """Seven days of evaluated reports, one a minute, each with its own figures."""
    noise = random.Random(host_id)
    batch = [
        IncomingReport(
            host_id, n + 1, NOW - timedelta(minutes=10080 - n), report_body(figures, noise)
        )
        for n in range(7 * 24 * 60)
    ]
    for start in range(0, len(batch), 1000):
        store_reports(conn, batch[start : start + 1000], NOW)
    conn.execute(text("UPDATE reports SET processed_at = received_at"))


def report_body(figures: int, noise: random.Random) -> dict[str, object]:
    """A server agent's report as ``agent.probes.system`` writes it: figures with decimals."""

    def percent() -> float:
        return round(noise.uniform(0, 100), 1)

    filesystems = {
        f"/d{n}": {
            "used_percent": percent(),
            "inodes_used_percent": percent(),
            "total_bytes": 10**11,
            "used_bytes": noise.randrange(10**11),
        }
        for n in range(max(0, figures - 4))
    }
    system = {
        "cpu_percent": percent(),
        "load_1m": round(noise.uniform(0, 4), 2),
        "memory": {"used_percent": percent(), "total_bytes": 8 << 30},
        "swap": {"used_percent": percent()},
        "filesystems": filesystems,
    }
    return {
        "sampled_at": NOW.isoformat(),
        "interval_s": 60,
        "probes": {"system": {"status": "ok", "metrics": system}},
    }


def signed_in(conn: Connection, config: CollectorConfig) -> str:
    """The bench operator's session cookie (a session row, as a login leaves)."""
    operator = operators.login_record(conn, "bench")
    assert operator is not None
    secret = session_rows.start_session(
        conn, "operator", operator[0].id, NOW, NOW + sessions.SESSION_TTL, "127.0.0.1"
    )
    return sessions.encode(config.secret_key, sessions.new_session(NOW, secret))


def settled_size(path: Path) -> int:
    """The database's size once its write-ahead log is folded in (WAL pages would count twice)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def timed(client: TestClient, path: str, cookie: dict[str, str], n: int) -> list[float]:  # type: ignore[type-arg]
    found = []
    for _ in range(n):
        started = time.perf_counter()
        async with client.get(path, cookies=cookie) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
        found.append((time.perf_counter() - started) * 1000)
    return found


def line(name: str, times: list[float], baseline: float) -> str:
    median = statistics.median(times)
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    return f"{name:34} median {median:7.1f} ms  p95 {p95:7.1f} ms  ratio {median / baseline:6.1f}"


async def measure(args: argparse.Namespace, db_path: Path) -> None:
    config = CollectorConfig.model_validate(
        {
            "secret_key": "bench-secret-0123456789",
            "database": {"url": f"sqlite:///{db_path}"},
            "http": {"secure_cookies": False},
        }
    )
    app = create_app(config, run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        db = app[DATABASE]
        started = time.perf_counter()
        await db.write(fleet, args)
        empty = settled_size(db_path)
        sample = [f"h{h:05}" for h in range(1, 1 + args.history_hosts)]
        for host_id in sample:
            await db.write(history, host_id, args.metrics, config.history)
            await db.write(reports, host_id, args.metrics)
        print(f"fleet and history written in {time.perf_counter() - started:.1f} s")
        cookie = {sessions.COOKIE: await db.write(signed_in, config)}
        host, customer = sample[0], f"c{1 % args.customers:04}"
        n = args.requests
        base = await timed(client, "/healthz", cookie, n)
        baseline = statistics.median(base)
        print(
            f"hosts: {args.hosts}  customers: {args.customers}  figures: {args.metrics}  "
            f"requests each: {n}"
        )
        print(line("baseline GET /healthz", base, baseline))
        print(line("overview", await timed(client, "/", cookie, n), baseline))
        filtered = await timed(client, "/?kind=pbx", cookie, n)
        print(line("overview filtered (kind=pbx)", filtered, baseline))
        print(line("host page", await timed(client, f"/hosts/{host}", cookie, n), baseline))
        for span in ("24h", "90d"):
            path = f"/hosts/{host}/series.json?range={span}&metric=cpu_percent"
            print(line(f"graph data {span}", await timed(client, path, cookie, n), baseline))
        print(
            line(
                "customer page", await timed(client, f"/customers/{customer}", cookie, n), baseline
            )
        )
    per_host = (settled_size(db_path) - empty) / max(1, args.history_hosts)
    kept = config.history
    print(
        f"steady-state storage per host ({args.metrics} figures; reports "
        f"{kept.reports_retention_days:g} d compressed, raw {kept.raw_retention_hours:g} h, "
        f"5-minute {kept.five_minute_retention_days:g} d, hourly "
        f"{kept.hourly_retention_days:g} d): {per_host / 1e6:.1f} MB  (goal <= 25 MB; "
        "Zabbix's defaults keep about 100 MB)"
    )
    tables = json.dumps(table_sizes(db_path, args.history_hosts))
    print(f"  by table with its indexes, per host (MB): {tables}")


def table_sizes(db_path: Path, per: int) -> dict[str, float]:
    query = (
        "SELECT m.tbl_name, sum(d.pgsize) FROM dbstat AS d"
        " JOIN sqlite_master AS m ON m.name = d.name GROUP BY m.tbl_name"
    )
    with sqlite3.connect(db_path) as conn:
        try:
            rows = conn.execute(query).fetchall()
        except sqlite3.OperationalError:  # SQLite built without the dbstat table
            return {}
    wanted = ("reports", "series_raw", "series_5m", "series_1h")
    return {name: round(size / 1e6 / per, 2) for name, size in rows if name in wanted}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--customers", type=int, default=25)
    parser.add_argument("--history-hosts", type=int, default=1)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(measure(args, Path(tmp) / "bench.db"))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
