"""Customers, their contacts and contracts, and their hosts with signing keys."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from collector.store.schema import contacts, contracts, customers, faults, hosts


class NotFound(LookupError):
    """The named customer or host does not exist."""


class AlreadyExists(ValueError):
    """A customer or host with that id exists already."""


@dataclass(frozen=True)
class Host:
    id: str
    customer_id: str
    name: str
    kind: str
    interval_s: float | None  # set on the host: overrides the agent's
    created_at: datetime
    last_seen_at: datetime | None
    last_seq: int | None
    agent_interval_s: float | None = None  # from the agent's newest report
    #: Set when ``host remove --force`` archived it: history only.
    archived_at: datetime | None = None

    @property
    def heartbeat_interval_s(self) -> float:
        """The interval the heartbeat expects reports at: the host's setting, else the one
        its agent reports, else the agent's default until it first reports."""
        return heartbeat_interval(self.interval_s, self.agent_interval_s)

    @property
    def interval_source(self) -> str:
        """Where ``heartbeat_interval_s`` comes from: ``host``, ``agent`` or ``default``."""
        if self.interval_s is not None:
            return "host"
        return "agent" if self.agent_interval_s else "default"


@dataclass(frozen=True)
class Contract:
    tier: str
    starts_on: datetime
    ends_on: datetime | None
    ports: int


#: The agent's own default interval: what a host that set none expects before its first report.
DEFAULT_INTERVAL_S = 60.0


def heartbeat_interval(interval_s: float | None, agent_interval_s: float | None) -> float:
    """``Host.heartbeat_interval_s`` from the two columns, for callers that read only those."""
    if interval_s is not None:
        return interval_s
    return agent_interval_s or DEFAULT_INTERVAL_S


def new_host_key() -> str:
    """A fresh 256-bit signing key, hex encoded."""
    return secrets.token_hex(32)


#: The inventory's writes and the reads before them, built once: loading an inventory runs
#: them per customer and host, and building one costs more than running it.
_CUSTOMER_ARCHIVED = select(customers.c.archived_at).where(customers.c.id == bindparam("id"))
_LIVE_CUSTOMER = select(customers.c.id).where(
    customers.c.id == bindparam("customer_id"), customers.c.archived_at.is_(None)
)
_INSERT_CUSTOMER = insert(customers)


def add_customer(
    conn: Connection,
    customer_id: str,
    name: str,
    now: datetime,
    *,
    access: str | None = None,
    timezone: str | None = None,
    region: str | None = None,
) -> None:
    found = conn.execute(_CUSTOMER_ARCHIVED, {"id": customer_id})
    if (row := found.first()) is not None:
        archived = " (archived, with its history)" if row.archived_at else ""
        raise AlreadyExists(f"customer {customer_id!r} exists already{archived}")
    conn.execute(
        _INSERT_CUSTOMER,
        {
            "id": customer_id, "name": name, "created_at": now, "access": access,
            "timezone": timezone, "region": region,
        },
    )  # fmt: skip


def set_customer_terms(
    conn: Connection,
    customer_id: str,
    *,
    access: str | None,
    timezone: str | None,
    region: str | None,
) -> None:
    """How the customer gives access, their wall clock and region (None: the defaults)."""
    _require_customer(conn, customer_id)
    conn.execute(
        update(customers)
        .where(customers.c.id == customer_id)
        .values(access=access, timezone=timezone, region=region)
    )


@dataclass(frozen=True)
class CustomerLocale:
    """The customer's wall clock (None: the tier's) and region (None: "other")."""

    timezone: str | None
    region: str | None


def customer_locale(conn: Connection, customer_id: str) -> CustomerLocale:
    row = conn.execute(
        select(customers.c.timezone, customers.c.region).where(customers.c.id == customer_id)
    ).first()
    return CustomerLocale(row.timezone, row.region) if row else CustomerLocale(None, None)


_DELETE_CONTACTS = delete(contacts).where(contacts.c.customer_id == bindparam("customer"))
_INSERT_CONTACTS = insert(contacts)


def set_contacts(conn: Connection, customer_id: str, people: Iterable[tuple[str, str]]) -> None:
    """Replace the customer's contacts with ``(name, email)`` pairs."""
    _require_customer(conn, customer_id)
    conn.execute(_DELETE_CONTACTS, {"customer": customer_id})
    rows = [{"customer_id": customer_id, "name": n, "email": e} for n, e in people]
    if rows:
        conn.execute(_INSERT_CONTACTS, rows)


def contacts_of(conn: Connection, customer_id: str) -> list[tuple[str, str]]:
    """The customer's contacts as ``(name, email)``, in the order they were given."""
    query = select(contacts.c.name, contacts.c.email).where(contacts.c.customer_id == customer_id)
    return [(row.name, row.email) for row in conn.execute(query.order_by(contacts.c.id))]


def contact_emails(conn: Connection, customer_id: str) -> list[str]:
    query = select(contacts.c.email).where(contacts.c.customer_id == customer_id)
    return list(conn.scalars(query.order_by(contacts.c.id)))


_ZONE_AND_CONTACTS = (
    select(customers.c.timezone, contacts.c.email)
    .outerjoin(contacts, contacts.c.customer_id == customers.c.id)
    .where(customers.c.id == bindparam("customer_id"))
    .order_by(contacts.c.id)
)


def zone_and_contacts(conn: Connection, customer_id: str) -> tuple[str | None, list[str]]:
    """In one query, the customer's own zone (``customer_locale``'s) and its contacts' emails
    (``contact_emails``): what every fault mail to it needs."""
    rows = conn.execute(_ZONE_AND_CONTACTS, {"customer_id": customer_id}).all()
    zone = rows[0].timezone if rows else None
    return zone, [row.email for row in rows if row.email is not None]


def add_contract(
    conn: Connection,
    customer_id: str,
    tier: str,
    starts_on: datetime,
    ends_on: datetime | None,
    ports: int = 0,
    note: str = "",
) -> None:
    _require_customer(conn, customer_id)
    conn.execute(
        _INSERT_CONTRACT,
        {
            "customer_id": customer_id, "tier": tier, "starts_on": starts_on, "ends_on": ends_on,
            "ports": ports, "note": note,
        },
    )  # fmt: skip


_INSERT_CONTRACT = insert(contracts)


#: Built once: every incident that opens asks it.
_CONTRACTS_STARTED = (
    select(contracts.c.tier, contracts.c.starts_on, contracts.c.ends_on, contracts.c.ports)
    .where(
        contracts.c.customer_id == bindparam("customer_id"),
        contracts.c.starts_on <= bindparam("at"),
    )
    .order_by(contracts.c.starts_on.desc(), contracts.c.id.desc())
)


def current_contract(conn: Connection, customer_id: str, at: datetime) -> Contract | None:
    """The contract in force at ``at``: the latest one started and not yet ended."""
    for row in conn.execute(_CONTRACTS_STARTED, {"customer_id": customer_id, "at": at}):
        if row.ends_on is None or row.ends_on > at:
            return Contract(row.tier, row.starts_on, row.ends_on, row.ports)
    return None


def current_tiers(conn: Connection, at: datetime) -> dict[str, str]:
    """Every customer's tier in force at ``at`` (as ``current_contract`` picks it), in one query;
    customers with no contract in force are left out."""
    query = (
        select(contracts.c.customer_id, contracts.c.tier, contracts.c.ends_on)
        .where(contracts.c.starts_on <= at)
        .order_by(contracts.c.starts_on, contracts.c.id)
    )
    tiers: dict[str, str] = {}
    for row in conn.execute(query):
        if row.ends_on is None or row.ends_on > at:
            tiers[row.customer_id] = row.tier
    return tiers


def add_host(
    conn: Connection,
    host_id: str,
    customer_id: str,
    now: datetime,
    *,
    name: str | None = None,
    kind: str = "server",
    interval_s: float | None = None,
    key: str | None = None,
    access: str | None = None,
) -> str:
    """Create a host and return its signing key (the only time it is handed out)."""
    found = conn.execute(_BEFORE_ADDING_HOST, {"customer_id": customer_id, "host_id": host_id})
    customer_live, host_taken, archived_at = found.one()
    if not customer_live:
        raise NotFound(f"no customer {customer_id!r}")
    if host_taken:
        archived = " (archived, with its history)" if archived_at else ""
        raise AlreadyExists(f"host {host_id!r} exists already{archived}")
    key = key or new_host_key()
    conn.execute(
        _INSERT_HOST,
        {
            "id": host_id, "customer_id": customer_id, "name": name or host_id, "kind": kind,
            "key": key, "interval_s": interval_s, "created_at": now, "access": access,
        },
    )  # fmt: skip
    return key


_HOST_NAMED = hosts.c.id == bindparam("host_id")
#: What ``add_host`` must know first, in one statement: whether the customer is live (as
#: ``_require_customer`` asks), whether the host id is taken, and if so whether archived.
_BEFORE_ADDING_HOST = select(
    _LIVE_CUSTOMER.exists(),
    select(hosts.c.id).where(_HOST_NAMED).exists(),
    select(hosts.c.archived_at).where(_HOST_NAMED).scalar_subquery(),
)
_INSERT_HOST = insert(hosts)


def rotate_host_key(conn: Connection, host_id: str) -> str:
    key = new_host_key()
    result = conn.execute(update(hosts).where(hosts.c.id == host_id).values(key=key))
    if result.rowcount == 0:
        raise NotFound(f"no host {host_id!r}")
    return key


def host_keys(conn: Connection) -> dict[str, bytes]:
    """Every host's signing key, for the ingest cache; an archived host's agent is refused."""
    query = select(hosts.c.id, hosts.c.key).where(hosts.c.archived_at.is_(None))
    return {row.id: row.key.encode() for row in conn.execute(query)}


def get_host(conn: Connection, host_id: str) -> Host:
    row = conn.execute(_HOST, {"host_id": host_id}).first()
    if row is None:
        raise NotFound(f"no host {host_id!r}")
    return _host(row)


def list_hosts(
    conn: Connection, customer_id: str | None = None, where: ColumnElement[bool] | None = None
) -> list[Host]:
    """The hosts watched (archived ones are history only): of one customer, or ``where`` keeps."""
    if customer_id is not None:
        return [_host(row) for row in conn.execute(_LIVE_HOSTS_OF, {"customer_id": customer_id})]
    rows = conn.execute(_LIVE_HOSTS if where is None else _LIVE_HOSTS.where(where))
    return [_host(row) for row in rows]


def hosts_to_look_at(conn: Connection, now: datetime, missed_intervals: int) -> list[Host]:
    """The hosts that may need someone: never reported, not seen within ``missed_intervals``
    of the shortest heartbeat interval any host has, or with an open fault. Every other host
    is certainly on time and fault-free, so a page that only counts those need not read them:
    the caller still decides lateness host by host, on its own interval."""
    shortest = conn.scalar(
        select(func.min(_interval_of_heartbeat())).where(hosts.c.archived_at.is_(None))
    )
    cutoff = now - timedelta(seconds=float(shortest or 0) * missed_intervals)
    faulty = select(faults.c.host_id).where(
        faults.c.resolved_at.is_(None), faults.c.host_id.is_not(None)
    )
    query = select(*_HOST_COLUMNS).where(
        hosts.c.archived_at.is_(None),
        or_(
            hosts.c.last_seen_at.is_(None),
            hosts.c.last_seen_at < cutoff,
            hosts.c.id.in_(faulty),
        ),
    )
    return [_host(row) for row in conn.execute(query.order_by(hosts.c.customer_id, hosts.c.id))]


def _interval_of_heartbeat() -> ColumnElement[float]:
    """``Host.heartbeat_interval_s`` in SQL (an agent interval of 0 counts as 0: shorter is
    only ever more cautious here)."""
    return func.coalesce(hosts.c.interval_s, hosts.c.agent_interval_s, DEFAULT_INTERVAL_S)


def host_counts(conn: Connection) -> dict[str, int]:
    """How many hosts each customer has (archived ones aside)."""
    query = (
        select(hosts.c.customer_id, func.count())
        .where(hosts.c.archived_at.is_(None))
        .group_by(hosts.c.customer_id)
    )
    return {customer_id: int(count) for customer_id, count in conn.execute(query)}


def host_kinds(conn: Connection, customer_id: str) -> dict[str, str]:
    """The kind of each of the customer's hosts, by host id."""
    query = select(hosts.c.id, hosts.c.kind).where(
        hosts.c.customer_id == customer_id, hosts.c.archived_at.is_(None)
    )
    return {host_id: kind for host_id, kind in conn.execute(query)}


def list_customers(conn: Connection) -> list[dict[str, Any]]:
    """The customers served (archived ones are history only)."""
    query = select(customers).where(customers.c.archived_at.is_(None))
    rows = conn.execute(query.order_by(customers.c.name))
    return [{"id": r.id, "name": r.name, "created_at": r.created_at} for r in rows]


#: What a ``Host`` is read from, in its fields' order: a fleet's worth of rows is read for some
#: pages, and the signing key and settings in the other columns are not for them.
_HOST_COLUMNS = tuple(hosts.c[f.name] for f in fields(Host))
#: Built once: the heartbeat sweep lists the fleet every time it runs.
_HOST = select(*_HOST_COLUMNS).where(hosts.c.id == bindparam("host_id"))
_LIVE_HOSTS = (
    select(*_HOST_COLUMNS)
    .where(hosts.c.archived_at.is_(None))
    .order_by(hosts.c.customer_id, hosts.c.id)
)
_LIVE_HOSTS_OF = _LIVE_HOSTS.where(hosts.c.customer_id == bindparam("customer_id"))


def _host(row: Any) -> Host:
    """The host of a row of ``_HOST_COLUMNS``, which are its fields in order."""
    return Host(*row)


def _require_customer(conn: Connection, customer_id: str) -> None:
    if not conn.execute(_LIVE_CUSTOMER, {"customer_id": customer_id}).first():
        raise NotFound(f"no customer {customer_id!r}")
