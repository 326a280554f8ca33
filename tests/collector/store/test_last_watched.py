"""When what watches a host from outside last had its say: its newest SNMP poll, trap or remote
check run, for many hosts in one read; on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from collector.store import inventory, probe_results
from collector.store import snmp as snmp_store
from collector.store.database import Database
from collector.store.snmp import AlarmStatus

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Run:
    verdict: str = "critical"
    latency_ms: float | None = None
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def _ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def watched_fleet(conn: Connection) -> None:
    """Thirty Mitels: polled, trapped since, checked since, or not watched at all."""
    inventory.add_customer(conn, "acme", "Acme", _ago(600))
    for n in range(30):
        host_id = f"m{n:02}"
        inventory.add_host(conn, host_id, "acme", _ago(600), kind="mitel")
        if n % 4 == 3:
            continue  # never watched
        trap = _ago(n) if n % 4 == 1 else None
        snmp_store.save_status(
            conn, AlarmStatus(host_id, polled_at=_ago(n + 5), last_trap_at=trap), NOW
        )
        if n % 4 == 2:
            check = probe_results.add_check(conn, host_id, "http", "https://192.0.2.1/", _ago(600))
            for minutes in (n + 3, n, n + 1):
                probe_results.record_result(conn, check, Run(), _ago(minutes))


def expected(n: int) -> datetime | None:
    return None if n % 4 == 3 else _ago(n + 5 if n % 4 == 0 else n)


def test_it_reads_the_newest_poll_trap_or_check_run_of_many_hosts(db: Database) -> None:
    db.transaction(watched_fleet)
    asked = [f"m{n:02}" for n in range(30) if n != 7] + ["nobody"]
    found = db.transaction(snmp_store.last_watched, asked)
    assert found == {f"m{n:02}": expected(n) for n in range(30) if n != 7 and expected(n)}
    assert db.transaction(snmp_store.last_watched, []) == {}
