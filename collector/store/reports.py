"""Storing agent reports: each ``(host, seq)`` once, the host's last-seen moved forward.

Only a new report moves ``last_seen_at`` (and ``last_seq``): a replayed ``seq`` was sampled
long ago, so it says nothing about whether the agent is alive now, and the heartbeat must not
take it for a sign of life. The newest report's ``interval_s`` becomes the host's
``agent_interval_s``: the heartbeat expects the next report after the interval the agent
announced last, so changing it never makes a host look silent.

Ingest and evaluation run these for every batch, so each is one prepared statement executed
with a list of parameters (SQLAlchemy compiles it once per dialect and caches it), never a
statement built per report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Connection,
    Dialect,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert, Update

from collector.store.columns import PackedJSON, UtcDateTime, bind_processor
from collector.store.hot_statements import HotStatement
from collector.store.schema import hosts, reports


@dataclass(frozen=True)
class IncomingReport:
    host_id: str
    seq: int
    sampled_at: datetime
    body: dict[str, Any]
    #: ``body`` as the agent sent it (JSON), when at hand: stored as is, not encoded again.
    text: str | None = None


#: New reports by (host id, seq), each with its id.
_Inserted = dict[tuple[str, int], int]


@cache
def _insert_reports(dialect: str) -> Insert:
    """New reports only; RETURNING names the rows really inserted (a stored seq is not)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(reports)
        .on_conflict_do_nothing(index_elements=["host_id", "seq"])
        .returning(reports.c.id, reports.c.host_id, reports.c.seq)
    )


def _seen_hosts() -> Update:
    newest = bindparam("newest", type_=BigInteger)
    higher = case(
        (or_(hosts.c.last_seq.is_(None), hosts.c.last_seq < newest), newest),
        else_=hosts.c.last_seq,
    )
    newer = or_(hosts.c.last_seq.is_(None), hosts.c.last_seq < newest)
    interval = case((newer, bindparam("interval")), else_=hosts.c.agent_interval_s)
    return (
        update(hosts)
        .where(hosts.c.id == bindparam("host"))
        .values(
            last_seen_at=bindparam("now", type_=UtcDateTime),
            agent_interval_s=interval,
            last_seq=higher,
        )
    )


#: Run hot (``hot_statements``): every batch of reports marks its hosts seen.
_SEEN_HOSTS = HotStatement(_seen_hosts())


def store_reports(conn: Connection, batch: Sequence[IncomingReport], now: datetime) -> list[bool]:
    """Insert the reports; returns, per report, whether it was new (False: stored before,
    or an earlier copy in the same batch)."""
    inserted = _store(conn, batch, now, None)
    outcome = []
    for item in batch:
        key = (item.host_id, item.seq)
        outcome.append(inserted.pop(key, None) is not None)
    return outcome


def store_claimed(
    conn: Connection, batch: Sequence[IncomingReport], now: datetime
) -> list[Unprocessed]:
    """``store_reports`` for a transaction that evaluates the new reports itself: they are
    stored already claimed (evaluated at ``now``), so no other evaluator ever finds them
    unclaimed. Returns the new ones as ``claim_oldest`` would, oldest first, with their
    bodies (a report already stored, or an earlier copy in the batch, is not returned)."""
    inserted = _store(conn, batch, now, now)
    bodies: dict[tuple[str, int], Mapping[str, Any]] = {}
    for item in batch:
        bodies.setdefault((item.host_id, item.seq), item.body)  # the first copy is the stored one
    found = [Unprocessed(i, h, seq, bodies[h, seq]) for (h, seq), i in inserted.items()]
    return sorted(found, key=_by_id)


def _store(
    conn: Connection, batch: Sequence[IncomingReport], now: datetime, claimed: datetime | None
) -> _Inserted:
    """Insert the reports (evaluated at ``claimed``, when given) and move their hosts'
    last-seen times; the new ones."""
    if not batch:
        return {}
    if conn.dialect.name == "sqlite":
        return _store_sqlite(conn, batch, now, claimed)
    return _store_core(conn, batch, now, claimed)


def _newest_by_host(inserted: _Inserted) -> list[tuple[str, int]]:
    """Each host that has a new report, with its highest new seq, in one order for every
    writer (no deadlocks on PostgreSQL)."""
    newest: dict[str, int] = {}
    for host_id, seq in inserted:
        newest[host_id] = max(seq, newest.get(host_id, seq))
    return sorted(newest.items())


def _store_core(
    conn: Connection, batch: Sequence[IncomingReport], now: datetime, claimed: datetime | None
) -> _Inserted:
    rows = [
        {
            "host_id": item.host_id,
            "seq": item.seq,
            "sampled_at": item.sampled_at,
            "received_at": now,
            "processed_at": claimed,
            "body": item.body,
        }
        for item in batch
    ]
    made = conn.execute(_insert_reports(conn.dialect.name), rows)
    inserted = {(h, seq): report_id for report_id, h, seq in made}
    _mark_seen(conn, batch, inserted, now)
    return inserted


def _mark_seen(
    conn: Connection, batch: Sequence[IncomingReport], inserted: _Inserted, now: datetime
) -> None:
    """Each host with a new report seen at ``now``, with its newest seq and interval."""
    seen = _newest_by_host(inserted)
    if seen:
        interval = _intervals(batch)
        rows = [{"host": h, "newest": seq, "interval": interval[(h, seq)]} for h, seq in seen]
        _SEEN_HOSTS.execute_many(conn, rows, {"now": now})


def _intervals(batch: Sequence[IncomingReport]) -> dict[tuple[str, int], float | None]:
    """The interval each report announces, by (host id, seq)."""
    found: dict[tuple[str, int], float | None] = {}
    for item in batch:
        value = item.body.get("interval_s")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            value = None  # refused at ingest; a body stored by other means is not trusted
        found[(item.host_id, item.seq)] = None if value is None else float(value)
    return found


@cache
def _sqlite_insert_sql(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * rows)
    return (
        f"INSERT INTO {reports.name} (host_id, seq, sampled_at, received_at, processed_at, body) "
        f"VALUES {values} ON CONFLICT (host_id, seq) DO NOTHING RETURNING id, host_id, seq"
    )


def _store_sqlite(
    conn: Connection, batch: Sequence[IncomingReport], now: datetime, claimed: datetime | None
) -> _Inserted:
    """``_store_core``'s insert as plain SQL on the driver's own cursor, inside the same
    transaction: all the batch's rows in one statement that returns the new ones, each body
    stored as the agent's own text where there is one (``PackedJSON.pack_text``), which no
    Core statement does the same way; the hosts are marked seen as ``_store_core`` does.

    This is the collector's hottest write, and SQLAlchemy's statement and result handling
    cost several times what SQLite itself does here. Values go through the columns' own bind
    processors, so they are stored exactly as Core stores them.
    """
    when, as_json = _sqlite_processors(conn.dialect)
    received, processed = when(now), None if claimed is None else when(claimed)
    params: list[Any] = []
    for item in batch:
        body = PackedJSON.pack_text(item.text) if item.text is not None else as_json(item.body)
        params += (item.host_id, item.seq, when(item.sampled_at), received, processed, body)
    driver = conn.connection.dbapi_connection
    # SQLite allows 32766 parameters per statement: 5461 reports, far above any batch.
    made = driver.execute(_sqlite_insert_sql(len(batch)), params)  # type: ignore[union-attr]
    inserted = {(host, seq): report_id for report_id, host, seq in made.fetchall()}
    _mark_seen(conn, batch, inserted, now)
    return inserted


@lru_cache(maxsize=4)
def _sqlite_processors(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """How Core would bind a time and a body, looked up once per dialect."""
    return bind_processor(dialect, reports.c.received_at), bind_processor(dialect, reports.c.body)


_UNPROCESSED = (
    select(reports.c.id, reports.c.host_id, reports.c.seq)
    .where(reports.c.processed_at.is_(None))
    .order_by(reports.c.id)
    .limit(bindparam("limit"))
)

_BODIES = select(reports.c.id, reports.c.body).where(
    reports.c.id.in_(bindparam("ids", expanding=True))
)

_CLAIM = (
    update(reports)
    .where(reports.c.id.in_(bindparam("ids", expanding=True)), reports.c.processed_at.is_(None))
    .values(processed_at=bindparam("now", type_=UtcDateTime))
)


#: The oldest unevaluated reports, claimed as they are read (``claim_oldest``).
_CLAIM_OLDEST = (
    update(reports)
    .where(
        reports.c.id.in_(
            select(reports.c.id)
            .where(reports.c.processed_at.is_(None))
            .order_by(reports.c.id)
            .limit(bindparam("limit"))
        ),
        reports.c.processed_at.is_(None),  # the compare-and-set, as in ``_CLAIM``
    )
    .values(processed_at=bindparam("now", type_=UtcDateTime))
    .returning(reports.c.id, reports.c.host_id, reports.c.seq)
)


class Unprocessed(NamedTuple):  # a tuple: made for every report evaluated
    id: int
    host_id: str
    seq: int
    body: Mapping[str, Any]


def unprocessed_reports(
    conn: Connection, limit: int = 500, known: Mapping[tuple[str, int], Any] | None = None
) -> list[Unprocessed]:
    """Up to ``limit`` of the oldest reports not evaluated yet, oldest first.

    ``known`` holds bodies already at hand, by (host id, seq): those are not read and decoded
    again (the collector keeps the bodies it has just stored until they are evaluated).
    """
    return _with_bodies(conn, list(conn.execute(_UNPROCESSED, {"limit": limit})), known)


def claim_oldest(
    conn: Connection,
    limit: int,
    now: datetime,
    known: Mapping[tuple[str, int], Any] | None = None,
) -> list[Unprocessed]:
    """``unprocessed_reports`` and ``claim`` in one statement: up to ``limit`` of the oldest
    reports not evaluated yet, marked evaluated at ``now`` as they are read, oldest first.
    What another evaluator claimed first is not returned: none is evaluated twice.

    For a transaction that evaluates them itself, holding the evaluation lock from before
    this read: what it then reads cannot change under it, so it has nothing to check later.
    """
    rows = conn.execute(_CLAIM_OLDEST, {"limit": limit, "now": now}).all()
    return _with_bodies(conn, sorted(rows, key=_by_id), known)


def _by_id(row: Any) -> int:
    return int(row[0])


def _with_bodies(
    conn: Connection, rows: Sequence[Any], known: Mapping[tuple[str, int], Any] | None
) -> list[Unprocessed]:
    """The rows (id, host id, seq) with their bodies: those in ``known``, the rest read."""
    at_hand, bodies, missing = known or {}, {}, []
    # Unpacked, not read by name: a row's attributes cost several times as much, per row.
    for report_id, host_id, seq in rows:
        body = at_hand.get((host_id, seq))
        if body is None:
            missing.append(report_id)
        else:
            bodies[report_id] = body
    if missing:
        bodies.update((i, body) for i, body in conn.execute(_BODIES, {"ids": missing}))
    return [Unprocessed(i, host_id, seq, bodies[i]) for i, host_id, seq in rows]


def claim(conn: Connection, report_ids: Sequence[int], now: datetime) -> bool:
    """Mark the reports evaluated, if none of them is yet: a compare-and-set, so that of two
    evaluators (threads, processes or collectors) that read the same reports, one wins.

    False means another got some of them first; roll back and read again.
    """
    if not report_ids:
        return True
    result = conn.execute(_CLAIM, {"ids": list(report_ids), "now": now})
    return result.rowcount == len(report_ids)


def unprocessed_count(conn: Connection) -> int:
    """How far evaluation lags behind ingest, in reports."""
    query = select(func.count()).select_from(reports).where(reports.c.processed_at.is_(None))
    return int(conn.scalar(query) or 0)


def report_count(conn: Connection, host_id: str | None = None) -> int:
    query = select(func.count()).select_from(reports)
    if host_id is not None:
        query = query.where(reports.c.host_id == host_id)
    return int(conn.scalar(query) or 0)


def stored_seqs(conn: Connection, host_id: str) -> list[int]:
    query = select(reports.c.seq).where(reports.c.host_id == host_id).order_by(reports.c.seq)
    return list(conn.scalars(query))


def prune_reports(conn: Connection, received_before: datetime, most: int) -> int:
    """Delete up to ``most`` of the oldest reports received before ``received_before``; how
    many. Never a report not evaluated yet, nor a host's newest report (its page shows it)."""
    newest_seq = select(hosts.c.last_seq).where(hosts.c.id == reports.c.host_id).scalar_subquery()
    doomed = (
        select(reports.c.id)
        .where(
            reports.c.received_at < received_before,
            reports.c.processed_at.is_not(None),
            reports.c.seq < func.coalesce(newest_seq, reports.c.seq + 1),
        )
        .order_by(reports.c.id)
        .limit(most)
    )
    ids = list(conn.scalars(doomed))
    if not ids:
        return 0
    conn.execute(delete(reports).where(reports.c.id.in_(ids)))
    return len(ids)


def latest_body(conn: Connection, host_id: str) -> Mapping[str, Any] | None:
    """The body of the host's newest report (by seq), if any is kept."""
    query = (
        select(reports.c.body)
        .where(reports.c.host_id == host_id)
        .order_by(reports.c.seq.desc())
        .limit(1)
    )
    body = conn.scalar(query)
    return body if isinstance(body, Mapping) else None
