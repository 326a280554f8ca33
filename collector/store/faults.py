"""Fault rows and their history; each change is also a ``fault_events`` record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update

from collector.domain.faults import FaultKey, FaultState
from collector.domain.policy import Severity
from collector.store.hot_statements import HotStatement, hot_insert
from collector.store.schema import customers, fault_events, faults, hosts


@dataclass(frozen=True)
class FaultView:
    id: int
    host_id: str | None
    host_name: str
    customer_id: str
    customer_name: str
    check_key: str
    severity: str
    title: str
    detail: str
    opened_at: datetime
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_comment: str | None
    last_notified_at: datetime | None
    suppressed_by: str | None
    flapping: bool

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


def views() -> Any:
    # Outer join: a site fault (site.down) has no host, and must be listed and mailed too.
    return (
        select(faults, hosts.c.name.label("host_name"), customers.c.name.label("customer_name"))
        .outerjoin(hosts, hosts.c.id == faults.c.host_id)
        .join(customers, customers.c.id == faults.c.customer_id)
    )


def fault_view(row: Any) -> FaultView:
    # By key: a row's attributes cost several times more (incident_view).
    return fault_view_of(row._mapping)


def fault_view_of(value: Mapping[str, Any]) -> FaultView:
    """The view of a fault's columns, by name (and its host's and customer's names)."""
    return FaultView(
        value["id"],
        value["host_id"],
        value["host_name"] or "",
        value["customer_id"],
        value["customer_name"],
        value["check_key"],
        value["severity"],
        value["title"],
        value["detail"],
        value["opened_at"],
        value["resolved_at"],
        value["acknowledged_at"],
        value["acknowledged_by"],
        value["ack_comment"],
        value["last_notified_at"],
        value["suppressed_by"],
        value["flapping"],
    )


#: The engine's writes, built once: building a statement costs more than running it. Each
#: takes its values as parameters (an update's are its SET clause).
_INSERT_EVENT = hot_insert(fault_events, ("fault_id", "at", "kind", "detail"))
#: A new fault's row: ``opening_values``' columns.
_INSERT_FAULT = hot_insert(
    faults,
    (
        "customer_id", "host_id", "check_key", "title", "opened_at", "severity", "detail",
        "resolved_at", "last_notified_at", "suppressed_by", "flapping", "notified_severity",
        "recovery_notified",
    ),
)  # fmt: skip
_UPDATE_FAULT = update(faults).where(faults.c.id == bindparam("fault_id"))


def record_event(conn: Connection, fault_id: int, at: datetime, kind: str, detail: str) -> None:
    _INSERT_EVENT.insert(conn, {"fault_id": fault_id, "at": at, "kind": kind, "detail": detail})


#: The faults columns the engine's view of a fault is read from.
STATE_COLUMNS = (
    "customer_id", "host_id", "check_key", "severity", "opened_at", "detail", "flapping",
    "resolved_at", "acknowledged_at", "suppressed_by", "notified_severity", "last_notified_at",
    "recovery_notified",
)  # fmt: skip


def state_columns(prefix: str) -> list[Any]:
    """The state columns labelled ``prefix + name``, for a query that joins faults to a table
    with columns of the same names (incidents have a severity and an opened_at too)."""
    return [faults.c[name].label(prefix + name) for name in STATE_COLUMNS]


def engine_state(row: Any, prefix: str = "") -> FaultState:
    """The engine's view of a fault row (its columns named ``prefix + name``)."""
    # By key from the row's mapping: a row's attributes cost several times more (see
    # ``collector.store.incident_view.incident_view``).
    value = row._mapping
    if prefix:
        value = {name: value[prefix + name] for name in STATE_COLUMNS}
    return engine_state_of(value)


def engine_state_of(value: Mapping[str, Any]) -> FaultState:
    """The engine's view of a fault's columns, by name."""
    notified = value["notified_severity"]
    return FaultState(
        key=FaultKey(value["customer_id"], value["host_id"], value["check_key"]),
        severity=Severity(value["severity"]),
        opened_at=value["opened_at"],
        detail=value["detail"],
        flapping=bool(value["flapping"]),
        resolved_at=value["resolved_at"],
        acknowledged_at=value["acknowledged_at"],
        suppressed_by=value["suppressed_by"],
        notified_severity=None if notified is None else Severity(notified),
        last_notified_at=value["last_notified_at"],
        recovery_notified=bool(value["recovery_notified"]),
    )


def save_state(
    conn: Connection, fault_id: int | None, state: FaultState, title: str, at: datetime
) -> int:
    """Insert (``fault_id`` None) or update the fault row from the engine's state.

    Acknowledgement is people's, written by the acknowledge action; the engine never writes it.
    """
    values = state_values(state)
    if fault_id is not None:
        conn.execute(_UPDATE_FAULT, {"fault_id": fault_id, **values})
        return fault_id
    return _INSERT_FAULT.insert(conn, opening_values(state, title, values))


def state_values(state: FaultState) -> dict[str, Any]:
    """The columns the engine's state sets, on every save (``save_state``'s, and
    ``collector.store.fault_mail.save_for_mail``'s)."""
    notified = state.notified_severity
    return {
        "severity": state.severity.value,
        "detail": state.detail,
        "resolved_at": state.resolved_at,
        "last_notified_at": state.last_notified_at,
        "suppressed_by": state.suppressed_by,
        "flapping": state.flapping,
        "notified_severity": None if notified is None else notified.value,
        "recovery_notified": state.recovery_notified,
    }


def opening_values(state: FaultState, title: str, values: dict[str, Any]) -> dict[str, Any]:
    """A new fault's row: its identity, title and opening with the state's ``values``."""
    key = state.key
    return {
        "customer_id": key.customer_id, "host_id": key.host_id, "check_key": key.check_key,
        "title": title, "opened_at": state.opened_at, **values,
    }  # fmt: skip


def open_fault(
    conn: Connection,
    *,
    host_id: str,
    check_key: str,
    severity: str,
    title: str,
    detail: str,
    at: datetime,
) -> int:
    """Open a fault on a host directly (tests, and faults recorded by hand), with its event."""
    customer_id = conn.scalar(select(hosts.c.customer_id).where(hosts.c.id == host_id))
    if customer_id is None:
        raise LookupError(f"no host {host_id!r}")
    key = FaultKey(customer_id, host_id, check_key)
    state = FaultState(key, Severity(severity), at, detail=detail)
    fault_id = save_state(conn, None, state, title, at)
    record_event(conn, fault_id, at, "opened", f"{severity}: {title}")
    return fault_id


#: The engine's reads, built once, of the columns it uses only.
_STATES = select(faults.c.id, *(faults.c[name] for name in STATE_COLUMNS))
#: Read for every customer a run acts on: on SQLite's own cursor.
_OPEN_STATES = HotStatement(
    _STATES.where(
        faults.c.customer_id == bindparam("customer_id"), faults.c.resolved_at.is_(None)
    ).order_by(faults.c.id)
)


def open_states(conn: Connection, customer_id: str) -> dict[FaultKey, tuple[int, FaultState]]:
    """The customer's open faults as the engine sees them, by key, in id order."""
    found = {}
    for row in _OPEN_STATES.mappings(conn, {"customer_id": customer_id}):
        state = engine_state_of(row)
        found[state.key] = (row["id"], state)
    return found


#: Open faults, and resolved ones whose recovery mail is still owed (the sweep's work); built
#: once, as the sweep's other hot statements: building one costs more than running it.
_RECOVERY_OWED = and_(
    # "= false" rather than "NOT": an index can answer it (ix_faults_recovery_owed).
    faults.c.recovery_notified == False,  # noqa: E712
    faults.c.notified_severity.is_not(None),
)
_OWING_MAIL = _STATES.where(or_(faults.c.resolved_at.is_(None), _RECOVERY_OWED))
#: The same, less the open faults that cannot owe mail at ``remind_before``: mailed at their
#: severity, and acknowledged, or last mailed after it (no reminder is due yet). The two
#: branches are those of ``_OWING_MAIL``, each answered by its index, in the same order.
_MAYBE_OWING_MAIL = HotStatement(
    _STATES.where(
        or_(
            and_(
                faults.c.resolved_at.is_(None),
                or_(
                    faults.c.notified_severity.is_(None),
                    faults.c.notified_severity != faults.c.severity,
                    and_(
                        faults.c.acknowledged_at.is_(None),
                        faults.c.last_notified_at <= bindparam("remind_before"),
                    ),
                ),
            ),
            and_(_RECOVERY_OWED, faults.c.resolved_at.is_not(None)),
        )
    )
)


def states_owing_mail(
    conn: Connection, remind_before: datetime | None = None
) -> list[tuple[int, FaultState]]:
    """Open faults, and resolved ones whose recovery mail is still owed: the sweep's work.

    With ``remind_before`` (now less the reminder interval), only those that may owe mail now:
    an open fault mailed at its severity owes a reminder only if unacknowledged and last
    mailed then or before. The rest would be read only to be found owing nothing."""
    if remind_before is None:
        rows = conn.execute(_OWING_MAIL)
        return [(row.id, engine_state(row)) for row in rows]
    # Most often none: the sweep's mail half asks after almost every change the clock makes.
    owing = _MAYBE_OWING_MAIL.mappings(conn, {"remind_before": remind_before})
    return [(row["id"], engine_state_of(row)) for row in owing]


_FAULT = views().where(faults.c.id == bindparam("fault_id"))


def get_fault(conn: Connection, fault_id: int) -> FaultView | None:
    row = conn.execute(_FAULT, {"fault_id": fault_id}).first()
    return fault_view(row) if row else None


def acknowledge(
    conn: Connection, fault_id: int, *, by: str, comment: str, address: str, at: datetime
) -> bool:
    """Record the first acknowledgement; False when the fault was already acknowledged."""
    result = conn.execute(
        update(faults)
        .where(faults.c.id == fault_id, faults.c.acknowledged_at.is_(None))
        .values(acknowledged_at=at, acknowledged_by=by, ack_comment=comment, ack_address=address)
    )
    if result.rowcount:
        note = f"by {by} from {address}" + (f": {comment}" if comment else "")
        record_event(conn, fault_id, at, "acknowledged", note)
    return bool(result.rowcount)


def list_faults(
    conn: Connection,
    *,
    open_only: bool = True,
    host_id: str | None = None,
    customer_id: str | None = None,
    limit: int = 200,
) -> list[FaultView]:
    query = views().order_by(faults.c.opened_at.desc(), faults.c.id.desc()).limit(limit)
    if open_only:
        query = query.where(faults.c.resolved_at.is_(None))
    if host_id is not None:
        query = query.where(faults.c.host_id == host_id)
    if customer_id is not None:
        query = query.where(faults.c.customer_id == customer_id)
    return [fault_view(row) for row in conn.execute(query)]


def events(conn: Connection, fault_id: int) -> list[Any]:
    query = select(fault_events).where(fault_events.c.fault_id == fault_id)
    return list(conn.execute(query.order_by(fault_events.c.at, fault_events.c.id)))


def open_counts_by_severity(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(faults.c.severity, func.count())
        .where(faults.c.resolved_at.is_(None))
        .group_by(faults.c.severity)
    )
    return {severity: int(count) for severity, count in rows}


def refresh_detail(
    conn: Connection, host_id: str, check_key: str, detail: str, at: datetime
) -> bool:
    """Give the host's open fault on ``check_key`` a newer detail (what is in alarm has
    changed, its severity has not), recorded as an event; False when there is none to change."""
    query = select(faults.c.id, faults.c.detail).where(
        faults.c.host_id == host_id, faults.c.check_key == check_key, faults.c.resolved_at.is_(None)
    )
    row = conn.execute(query).first()
    if row is None or row.detail == detail:
        return False
    conn.execute(update(faults).where(faults.c.id == row.id).values(detail=detail))
    record_event(conn, row.id, at, "detail", detail)
    return True


def spans_between(
    conn: Connection, host_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime | None, str]]:
    """The host's faults open at some moment between ``start`` and ``end``: (opened, resolved
    or None while open, severity), oldest first. For shading graphs."""
    query = (
        select(faults.c.opened_at, faults.c.resolved_at, faults.c.severity)
        .where(
            faults.c.host_id == host_id,
            faults.c.opened_at < end,
            or_(faults.c.resolved_at.is_(None), faults.c.resolved_at > start),
        )
        .order_by(faults.c.opened_at)
    )
    rows: list[Any] = list(conn.execute(query))
    return [(r.opened_at, r.resolved_at, r.severity) for r in rows]
