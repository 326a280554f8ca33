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

Then a PBX service outage (``--pbx``, default 200): every PBX of one customer reports, in two
batches, that Asterisk has stopped: its process, AMI, ports 5038 and 5060/udp and SIP all fail.
The shipped dependency rules make that one incident per host (about the Asterisk process) and
one opening mail per recipient, not one per failing check. The baseline, in the same run, is
the same batch with only the process reported down.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from agent import protocol
from collector.config.settings import CollectorConfig, DatabaseSettings, HttpSettings, MailSettings
from collector.engine.pipeline import process_reports, sweep
from collector.store import inventory
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import faults, incidents, outbox
from collector.store.schema import hosts as hosts_table

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


def _pbx_report(host: str, seq: int, everything_down: bool, up: bool) -> IncomingReport:
    at = MONDAY + timedelta(minutes=seq)
    answering = up or not everything_down
    services = {
        "processes": {"asterisk": {"running": up}},
        "ports": {"5038": {"listening": answering}, "5060/udp": {"listening": answering}},
    }
    probes: dict[str, dict[str, Any]] = {
        "services": {"status": "ok", "metrics": services, "error": None},
        "asterisk": {"status": "ok", "metrics": {"reachable": answering}, "error": None},
        "sip": {"status": "ok", "metrics": {"state": "up" if answering else "down"}, "error": None},
    }
    body = protocol.build_report(
        host_id=host, seq=seq, sampled_at=at, interval_s=INTERVAL, agent_version="bench",
        probes=probes,
    )  # fmt: skip
    return IncomingReport(host, seq, at, body)


def _customer_openings(conn: Connection) -> int:
    """Opening mails to the customer's contact (the NOC gets as many again)."""
    query = select(func.count()).select_from(outbox)
    query = query.where(outbox.c.kind == "fault_opened", outbox.c.recipient.like("jo@%"))
    return conn.scalar(query) or 0


def measure_pbx(
    directory: Path, hosts: int, everything_down: bool
) -> tuple[float, int, int, int, int]:
    """Seconds for the two batches in which every PBX's faults open; faults, incidents, mail,
    and of that mail the customer's openings."""
    url = f"sqlite:///{directory / f'pbx-{everything_down}.db'}"
    engine = make_engine(url)
    migrate(engine)
    db = Database(engine)
    config = CollectorConfig(
        secret_key="bench-secret-key-0123456789abcdef",
        database=DatabaseSettings(url=url),
        http=HttpSettings(public_url="http://127.0.0.1:8080", secure_cookies=False),
        mail=MailSettings(noc="noc@vendor.example"),
    )
    names = [f"c00000-h{index:05d}" for index in range(hosts)]

    def batch(seq: int, up: bool) -> None:
        reports = [_pbx_report(host, seq, everything_down, up) for host in names]
        at = reports[0].sampled_at
        db.transaction(store_reports, reports, at)
        while db.transaction(process_reports, config, at):
            pass

    try:
        db.transaction(_seed_pbx, hosts)
        for seq, up in ((1, True), (2, True)):
            batch(seq, up)
        started = time.perf_counter()
        # The first report down opens the process's and ports' faults (the agent's own
        # readings); the second, AMI's and SIP's (asked of a daemon, so read twice).
        batch(3, False)
        batch(4, False)
        elapsed = time.perf_counter() - started
        return (elapsed, *db.transaction(_counts), db.transaction(_customer_openings))
    finally:
        db.close()


def _seed_pbx(conn: Connection, hosts: int) -> None:
    _seed(conn, hosts, hosts)
    conn.execute(hosts_table.update().values(kind="pbx"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="hosts going silent (default 1000)")
    parser.add_argument("--pbx", type=int, default=200, help="PBXs losing Asterisk (default 200)")
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
    with tempfile.TemporaryDirectory(prefix="faultdesk-pbx-") as tmp:
        process_only = measure_pbx(Path(tmp), args.pbx, everything_down=False)
        outage = measure_pbx(Path(tmp), args.pbx, everything_down=True)
    print()
    print(f"PBX service outage: Asterisk stops on {args.pbx} PBXs of one customer, two batches")
    print(f"{'':34} {'seconds':>9} {'faults':>7} {'incidents':>9} {'mail':>6}")
    for label, (seconds, opened, incidents_opened, mail, _) in (
        ("baseline: process down only", process_only),
        ("process, AMI, ports and SIP down", outage),
    ):
        print(f"{label:34} {seconds:9.2f} {opened:7d} {incidents_opened:9d} {mail:6d}")
    print(
        f"opening mails to the customer: {outage[4]} for {args.pbx} PBXs and {outage[1]} faults "
        "(the NOC gets as many)"
    )
    print(f"ratio (whole service / process only): {outage[0] / process_only[0]:.2f}")


if __name__ == "__main__":
    main()
