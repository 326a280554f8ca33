"""A customer-wide outage: every host of one big customer falls silent in one heartbeat sweep.

    .venv/bin/python bench/customer_outage.py            # 1000 hosts
    .venv/bin/python bench/customer_outage.py --n 200

The figure is one sweep (one transaction) in which N hosts of ONE customer go silent: N
heartbeat faults open, then the customer's site goes down and explains them all, so the only
mail is the site's (customer and NOC: 2) and so is the only incident. The baseline, measured in
the same run, is the same sweep over the same number of hosts spread over N/10 customers of 10
hosts each: the same heartbeat faults, and a site fault with its mail and incident per
customer, only the customers are small. Fault decisions weigh each host against its
customer's other hosts, so if their cost grew with the customer's size the ratio would show it;
with work proportional to the hosts it stays near 1.

Each side gets a fresh SQLite file (WAL, as the collector runs it) and is measured once.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, func, select

from collector.config.settings import CollectorConfig, DatabaseSettings, HttpSettings, MailSettings
from collector.engine.pipeline import sweep
from collector.store import inventory
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.store.schema import faults, incidents, outbox

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
INTERVAL = 60.0
SILENT = MONDAY + timedelta(seconds=3 * INTERVAL + 1)


def _seed(conn: Connection, hosts: int, per_customer: int) -> None:
    start = MONDAY - timedelta(days=30)
    for first in range(0, hosts, per_customer):
        customer = f"c{first // per_customer:05d}"
        inventory.add_customer(conn, customer, f"Customer {customer}", MONDAY)
        inventory.set_contacts(conn, customer, [("Jo", f"jo@{customer}.example")])
        inventory.add_contract(conn, customer, "cat1", start, start + timedelta(days=365))
        for index in range(first, min(first + per_customer, hosts)):
            host = f"{customer}-h{index:05d}"
            inventory.add_host(conn, host, customer, MONDAY, name=host, interval_s=INTERVAL)


def _counts(conn: Connection) -> tuple[int, int, int]:
    return (
        conn.scalar(select(func.count()).select_from(faults)) or 0,
        conn.scalar(select(func.count()).select_from(incidents)) or 0,
        conn.scalar(select(func.count()).select_from(outbox)) or 0,
    )


def measure(directory: Path, hosts: int, per_customer: int) -> tuple[float, int, int, int]:
    """Seconds for the sweep in which every host falls silent; the faults, incidents, mail."""
    url = f"sqlite:///{directory / f'outage-{per_customer}.db'}"
    engine = make_engine(url)
    migrate(engine)
    db = Database(engine)
    config = CollectorConfig(
        secret_key="bench-secret-key-0123456789abcdef",
        database=DatabaseSettings(url=url),
        http=HttpSettings(public_url="http://127.0.0.1:8080", secure_cookies=False),
        mail=MailSettings(noc="noc@vendor.example"),
    )
    try:
        db.transaction(_seed, hosts, per_customer)
        started = time.perf_counter()
        db.transaction(sweep, config, SILENT)
        elapsed = time.perf_counter() - started
        return (elapsed, *db.transaction(_counts))
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="hosts going silent (default 1000)")
    args = parser.parse_args()
    small = 10
    with tempfile.TemporaryDirectory(prefix="faultdesk-outage-") as tmp:
        base = measure(Path(tmp), args.n, small)
        big = measure(Path(tmp), args.n, args.n)
    print(f"{args.n} hosts going silent in one heartbeat sweep (SQLite, measured once each)")
    print(f"{'':34} {'seconds':>9} {'faults':>7} {'incidents':>9} {'mail':>6}")
    for label, (seconds, opened, incidents_opened, mail) in (
        (f"baseline: {args.n // small} customers x {small} hosts", base),
        (f"one customer x {args.n} hosts", big),
    ):
        print(f"{label:34} {seconds:9.2f} {opened:7d} {incidents_opened:9d} {mail:6d}")
    print(f"ratio (one customer / baseline): {big[0] / base[0]:.2f}")


if __name__ == "__main__":
    main()
