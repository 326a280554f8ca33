"""Removing a customer or host: deleted when nothing refers to it, else archived.

History (reports, faults and their incidents, check results, figures, portal accounts) is
what an archived row keeps: ``archived_at`` set, it is out of every list, page and job
(``inventory.list_hosts``, ``list_customers``, ``host_keys``, the probe schedule), while its
faults and incidents stay readable by number. Deleting it instead would cascade through all of
that (the foreign keys say ``ON DELETE CASCADE``), so deletion is kept for rows nothing
refers to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Table, delete, func, select, update

from collector.store.faults import record_event
from collector.store.inventory import NotFound
from collector.store.people_schema import customer_users
from collector.store.schema import (
    customers,
    faults,
    host_checks,
    hosts,
    incidents,
    probe_results,
    reports,
)
from collector.store.telemetry_schema import host_events, series

#: What a host's history is made of, each as (what it is called, table): counted by host_id.
_HOST_HISTORY: tuple[tuple[str, Table], ...] = (
    ("report", reports),
    ("fault", faults),
    ("check result", probe_results),
    ("figure series", series),
    ("event", host_events),
)


def _count(conn: Connection, table: Table, column: str, value: str) -> int:
    return int(conn.scalar(select(func.count()).where(table.c[column] == value)) or 0)


def _incidents_of(conn: Connection, column: str, value: str) -> int:
    query = select(func.count()).select_from(incidents.join(faults))
    query = query.where(faults.c[column] == value)
    return int(conn.scalar(query) or 0)


def host_dependents(conn: Connection, host_id: str) -> dict[str, int]:
    """What refers to the host, by name, for the ones there are (empty: nothing does)."""
    if conn.scalar(select(hosts.c.id).where(hosts.c.id == host_id, _live(hosts))) is None:
        raise NotFound(f"no host {host_id!r}")
    found = {name: _count(conn, table, "host_id", host_id) for name, table in _HOST_HISTORY}
    found["incident"] = _incidents_of(conn, "host_id", host_id)
    return {name: count for name, count in found.items() if count}


def customer_dependents(conn: Connection, customer_id: str) -> dict[str, int]:
    """The customer's hosts, faults (site-wide ones too), incidents and portal accounts."""
    live = select(customers.c.id).where(customers.c.id == customer_id, _live(customers))
    if conn.scalar(live) is None:
        raise NotFound(f"no customer {customer_id!r}")
    host_count = select(func.count()).where(hosts.c.customer_id == customer_id, _live(hosts))
    found = {
        "host": int(conn.scalar(host_count) or 0),
        "fault": _count(conn, faults, "customer_id", customer_id),
        "incident": _count(conn, incidents, "customer_id", customer_id),
        "portal user": _count(conn, customer_users, "customer_id", customer_id),
    }
    return {name: count for name, count in found.items() if count}


def _live(table: Table) -> ColumnElement[bool]:
    return table.c.archived_at.is_(None)


def delete_host(conn: Connection, host_id: str) -> None:
    """Delete a host nothing refers to (its checks and settings go with it)."""
    conn.execute(delete(hosts).where(hosts.c.id == host_id))


def delete_customer(conn: Connection, customer_id: str) -> None:
    """Delete a customer nothing refers to (contracts, contacts and windows go with it)."""
    conn.execute(delete(customers).where(customers.c.id == customer_id))


def archive_hosts(conn: Connection, host_ids: list[str], now: datetime, why: str) -> int:
    """Archive the hosts: their checks stop, reports from their agents are refused, and their
    open faults resolve (no recovery mail: nobody is watching the host any more). Returns how
    many faults that resolved."""
    if not host_ids:
        return 0
    conn.execute(update(hosts).where(hosts.c.id.in_(host_ids)).values(archived_at=now))
    conn.execute(
        update(host_checks).where(host_checks.c.host_id.in_(host_ids)).values(enabled=False)
    )
    query = select(faults.c.id).where(
        faults.c.host_id.in_(host_ids), faults.c.resolved_at.is_(None)
    )
    return _resolve(conn, list(conn.scalars(query)), now, why)


def archive_customer(conn: Connection, customer_id: str, now: datetime, why: str) -> int:
    """Archive the customer with its hosts, resolve its open faults, and sign its portal users
    out of the portal for good (they cannot sign in to an archived customer). Returns how many
    faults that resolved."""
    query = select(hosts.c.id).where(hosts.c.customer_id == customer_id, _live(hosts))
    resolved = archive_hosts(conn, list(conn.scalars(query)), now, why)
    conn.execute(update(customers).where(customers.c.id == customer_id).values(archived_at=now))
    site = select(faults.c.id).where(
        faults.c.customer_id == customer_id, faults.c.resolved_at.is_(None)
    )
    return resolved + _resolve(conn, list(conn.scalars(site)), now, why)


def _resolve(conn: Connection, fault_ids: list[int], now: datetime, why: str) -> int:
    if not fault_ids:
        return 0
    conn.execute(
        update(faults)
        .where(faults.c.id.in_(fault_ids))
        .values(resolved_at=now, recovery_notified=True)
    )
    for fault_id in fault_ids:
        record_event(conn, fault_id, now, "resolved", why)
    return len(fault_ids)


def is_archived_customer(conn: Connection, customer_id: str) -> bool:
    query = select(customers.c.archived_at).where(customers.c.id == customer_id)
    return conn.scalar(query) is not None
