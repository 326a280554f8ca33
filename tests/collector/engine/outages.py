"""What the customer-outage tests share: a moment, a silent customer, failed probe runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select

from collector.config.settings import MailSettings
from collector.engine.probe_results import CheckRun
from collector.probes.base import ProbeResult, Verdict
from collector.store import inventory
from collector.store.probe_results import HostCheck
from collector.store.schema import faults

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
INTERVAL = 60.0
NOC_MAIL = MailSettings(noc="noc@vendor.example")


def probe_runs(checks: list[HostCheck], minute: int, verdict: Verdict) -> list[CheckRun]:
    at = MONDAY + timedelta(minutes=minute)
    return [
        CheckRun(check, ProbeResult("tcp", check.target, verdict, None, verdict.value), at)
        for check in checks
    ]


def silent_customer(conn: Connection, hosts: int) -> None:
    start = MONDAY - timedelta(days=30)
    inventory.add_customer(conn, "big", "Big Ltd", MONDAY)
    inventory.set_contacts(conn, "big", [("Jo", "jo@big.example")])
    inventory.add_contract(conn, "big", "cat1", start, start + timedelta(days=365))
    for index in range(hosts):
        inventory.add_host(conn, f"big-{index:03d}", "big", MONDAY, interval_s=INTERVAL)


def fault_keys(conn: Connection) -> list[str]:
    return list(conn.scalars(select(faults.c.check_key).order_by(faults.c.id)))
