"""Remote checks per host and the results of running them.

A check is one probe (ssh, http, sip, tcp) against one target, run every ``interval_s``; each
run stores one ``probe_results`` row with its latency, so the host page can show history and
the fault engine can be fed in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Connection, Select, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.sql.dml import ReturningInsert

from collector.store.hot_statements import hot_insert
from collector.store.schema import host_checks, hosts, probe_results

CHECK_KINDS = ("ssh", "http", "sip", "tcp")


class ResultLike(Protocol):
    """A probe's outcome: ``collector.probes.base.ProbeResult``, or the runner's "unknown"
    when the probe itself broke (``verdict`` is then the plain string ``"unknown"``)."""

    @property
    def verdict(self) -> str: ...
    @property
    def latency_ms(self) -> float | None: ...
    @property
    def detail(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class HostCheck:
    """One configured remote check of one host."""

    id: int
    host_id: str
    kind: str
    name: str
    target: str
    options: dict[str, Any] = field(default_factory=dict)
    interval_s: float = 60.0
    enabled: bool = True
    #: Whether a failure means access withheld; None: the default for the kind.
    remote_access: bool | None = None

    @property
    def label(self) -> str:
        """``kind`` or ``kind:name``: how logs and the dashboard tell checks apart."""
        return f"{self.kind}:{self.name}" if self.name else self.kind


@dataclass(frozen=True)
class StoredResult:
    """One stored run of a check."""

    id: int
    check_id: int
    host_id: str
    kind: str
    name: str
    target: str
    at: datetime
    verdict: str
    latency_ms: float | None
    detail: str
    data: dict[str, Any]


def _check(row: Row[Any]) -> HostCheck:
    return HostCheck(
        id=row.id,
        host_id=row.host_id,
        kind=row.kind,
        name=row.name,
        target=row.target,
        options=dict(row.options or {}),
        interval_s=float(row.interval_s),
        enabled=bool(row.enabled),
        remote_access=row.remote_access,
    )


def add_check(
    conn: Connection,
    host_id: str,
    kind: str,
    target: str,
    now: datetime,
    *,
    name: str = "",
    options: Mapping[str, Any] | None = None,
    interval_s: float = 60.0,
    enabled: bool = True,
    remote_access: bool | None = None,
) -> HostCheck:
    """Create the check, or update it in place when ``(host, kind, name)`` already exists;
    returns it as written (not read back: the caller has every value of it).

    Updating rather than refusing makes loading an inventory file twice harmless.
    """
    if kind not in CHECK_KINDS:
        raise ValueError(f"unknown check kind {kind!r}; expected one of {', '.join(CHECK_KINDS)}")
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    written = dict(options or {})
    values = {
        "target": target,
        "options": written,
        "interval_s": float(interval_s),
        "enabled": enabled,
        "remote_access": remote_access,
    }
    new = {"host_id": host_id, "kind": kind, "name": name, "created_at": now, **values}
    check_id = int(conn.execute(_upsert_check(conn.dialect.name), new).scalar_one())
    return HostCheck(
        check_id, host_id, kind, name, target, written, float(interval_s), enabled, remote_access
    )


@cache
def _upsert_check(dialect: str) -> ReturningInsert[int]:
    """``add_check``'s one statement, built once per dialect (loading an inventory runs it for
    every check): insert, or update in place the settings of the check of that host, kind and
    name (its creation time stays); the check's id either way."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(host_checks)
    settings = ("target", "options", "interval_s", "enabled", "remote_access")
    return statement.on_conflict_do_update(
        index_elements=["host_id", "kind", "name"],
        set_={column: statement.excluded[column] for column in settings},
    ).returning(host_checks.c.id)


def get_check(conn: Connection, check_id: int) -> HostCheck | None:
    row = conn.execute(select(host_checks).where(host_checks.c.id == check_id)).first()
    return _check(row) if row is not None else None


def get_check_by_name(
    conn: Connection, host_id: str, kind: str, name: str = ""
) -> HostCheck | None:
    query = select(host_checks).where(
        host_checks.c.host_id == host_id, host_checks.c.kind == kind, host_checks.c.name == name
    )
    row = conn.execute(query).first()
    return _check(row) if row is not None else None


def list_checks(conn: Connection, host_id: str) -> list[HostCheck]:
    """Every check of the host, enabled or not, in a stable order."""
    query = (
        select(host_checks)
        .where(host_checks.c.host_id == host_id)
        .order_by(host_checks.c.kind, host_checks.c.name, host_checks.c.id)
    )
    return [_check(row) for row in conn.execute(query)]


def all_enabled_checks(conn: Connection) -> list[HostCheck]:
    """What the scheduler runs."""
    query = (
        select(host_checks)
        .join(hosts, hosts.c.id == host_checks.c.host_id)
        .where(host_checks.c.enabled.is_(True), hosts.c.archived_at.is_(None))
        .order_by(host_checks.c.id)
    )
    return [_check(row) for row in conn.execute(query)]


def set_enabled(conn: Connection, check_id: int, enabled: bool) -> bool:
    """Switch a check on or off; False when there is no such check."""
    statement = update(host_checks).where(host_checks.c.id == check_id).values(enabled=enabled)
    return conn.execute(statement).rowcount > 0


def remove_check(conn: Connection, check_id: int) -> bool:
    return conn.execute(delete(host_checks).where(host_checks.c.id == check_id)).rowcount > 0


def last_run_at(conn: Connection) -> dict[int, datetime]:
    """Each check's newest result time, so a restarted scheduler does not run everything at once.

    One index seek per check (a GROUP BY would read every stored result).
    """
    newest = (
        select(func.max(probe_results.c.at))
        .where(probe_results.c.check_id == host_checks.c.id)
        .scalar_subquery()
    )
    query = select(host_checks.c.id, newest)
    return {check_id: _utc(at) for check_id, at in conn.execute(query) if at is not None}


def due_checks(conn: Connection, now: datetime) -> list[HostCheck]:
    """Enabled checks never run, or whose last result is at least one interval old."""
    last = last_run_at(conn)
    due = []
    for check in all_enabled_checks(conn):
        previous = last.get(check.id)
        if previous is None or previous + timedelta(seconds=check.interval_s) <= now:
            due.append(check)
    return due


def record_result(conn: Connection, check: HostCheck, result: ResultLike, at: datetime) -> int:
    """Store one run; returns the row id."""
    return _INSERT_RESULT.insert(conn, _result_row(check, result, at))


def record_results(conn: Connection, runs: Sequence[tuple[HostCheck, ResultLike, datetime]]) -> int:
    """Store several runs in one statement (the scheduler writes in batches); returns how many."""
    if not runs:
        return 0
    _INSERT_RESULT.execute_many(conn, [_result_row(*run) for run in runs])
    return len(runs)


#: Built once, and run hot (``hot_statements``): the collector stores a batch of results
#: every few seconds, and SQLAlchemy's statement handling costs more than SQLite's insert.
_INSERT_RESULT = hot_insert(
    probe_results, ("check_id", "host_id", "at", "verdict", "latency_ms", "detail", "data")
)


def _result_row(check: HostCheck, result: ResultLike, at: datetime) -> dict[str, Any]:
    return {
        "check_id": check.id,
        "host_id": check.host_id,
        "at": at,
        "verdict": str(result.verdict),
        "latency_ms": result.latency_ms,
        "detail": result.detail,
        "data": dict(result.data),
    }


def _result_query() -> Any:
    return select(
        probe_results,
        host_checks.c.kind,
        host_checks.c.name,
        host_checks.c.target,
    ).join(host_checks, host_checks.c.id == probe_results.c.check_id)


def _result(row: Row[Any]) -> StoredResult:
    return StoredResult(
        id=row.id,
        check_id=row.check_id,
        host_id=row.host_id,
        kind=row.kind,
        name=row.name,
        target=row.target,
        at=row.at,
        verdict=row.verdict,
        latency_ms=row.latency_ms,
        detail=row.detail,
        data=dict(row.data or {}),
    )


def recent_results(conn: Connection, host_id: str, limit: int = 50) -> list[StoredResult]:
    """The host's newest results across all its checks, newest first."""
    query = (
        _result_query()
        .where(probe_results.c.host_id == host_id)
        .order_by(probe_results.c.at.desc(), probe_results.c.id.desc())
        .limit(limit)
    )
    return [_result(row) for row in conn.execute(query)]


def latest_by_check(conn: Connection, host_id: str) -> dict[int, StoredResult]:
    """Each of the host's checks' newest result, keyed by check id (checks never run are absent)."""
    newest = (
        select(probe_results.c.id)
        .where(probe_results.c.check_id == host_checks.c.id)
        .order_by(probe_results.c.at.desc(), probe_results.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # One index seek per check of the host, however much history is stored.
    newest_ids = select(newest).where(host_checks.c.host_id == host_id)
    query = _result_query().where(probe_results.c.id.in_(newest_ids))
    return {row.check_id: _result(row) for row in conn.execute(query)}


def prune_results(conn: Connection, now: datetime, retention_days: float) -> int:
    """Delete results older than ``retention_days``; returns how many went.

    Host by host, so each delete walks the (host, at) index rather than the whole table.
    (Results of deleted checks and hosts go with them: the foreign keys cascade.)
    """
    cutoff = now - timedelta(days=retention_days)
    deleted = 0
    for host_id in conn.scalars(select(host_checks.c.host_id).distinct()).all():
        old = (probe_results.c.host_id == host_id) & (probe_results.c.at < cutoff)
        deleted += int(conn.execute(delete(probe_results).where(old)).rowcount)
    return deleted


def _utc(value: datetime) -> datetime:
    # Belt and braces: an aggregate's result may come back naive (SQLite) or as text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def targets_by_host(conn: Connection, host_ids: Select[tuple[str]]) -> dict[str, list[str]]:
    """The check targets (addresses the collector reaches them at) of the hosts ``host_ids``
    selects, by host, for search."""
    query = select(host_checks.c.host_id, host_checks.c.target)
    found: dict[str, list[str]] = {}
    for host_id, target in conn.execute(query.where(host_checks.c.host_id.in_(host_ids))):
        found.setdefault(host_id, []).append(target)
    return found


def result_count(conn: Connection, check_id: int) -> int:
    query = select(func.count()).select_from(probe_results)
    return int(conn.scalar(query.where(probe_results.c.check_id == check_id)) or 0)
