"""Host figures as time series: samples written once, rolled up as they are written, read
back at one resolution, and pruned by age.

Every sample goes into ``series_raw`` and is merged into its 5-minute and hourly buckets in
the same transaction (lowest, highest, sum and count: merging is exact in any order, so a
report replayed days late lands in the right bucket). Writing is a few statements per batch
of reports, each executed with a list of parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from collector.domain.figures import bucket_sums
from collector.store.hot_statements import HotFixedIn, HotStatement
from collector.store.schema import hosts
from collector.store.telemetry_schema import series, series_1h, series_5m, series_raw


class Sample(NamedTuple):
    host_id: str
    metric: str
    at: int  # Unix seconds
    value: float


@dataclass(frozen=True)
class Resolution:
    name: str
    table: Table
    step_s: int  # 0 for raw samples: as often as the host reports


RAW = Resolution("raw", series_raw, 0)
FIVE_MINUTES = Resolution("5m", series_5m, 300)
HOURLY = Resolution("1h", series_1h, 3600)
ROLLUPS = (FIVE_MINUTES, HOURLY)


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@cache
def _new_series(dialect: str) -> Insert:
    """New series, each returned with its id (one made by someone else first is not)."""
    return (
        _insert(dialect)(series)
        .on_conflict_do_nothing(index_elements=["host_id", "metric"])
        .returning(series.c.id, series.c.host_id, series.c.metric)
    )


# The writes of ``record``, run hot (``hot_statements``): they share the writer thread with
# ingest, and SQLAlchemy's per-row handling costs about as much as SQLite's own work here.
@cache
def _new_raw(dialect: str) -> HotStatement:
    raw = _insert(dialect)(series_raw)
    return HotStatement(raw.on_conflict_do_nothing(index_elements=["series_id", "at"]))


@cache
def _merge_rollup(dialect: str, table: Table) -> HotStatement:
    """Insert a bucket, or merge it into the stored one."""
    statement = _insert(dialect)(table)
    low, high = (func.least, func.greatest) if dialect == "postgresql" else (func.min, func.max)
    merge = statement.on_conflict_do_update(
        index_elements=["series_id", "at"],
        set_={
            "low": low(table.c.low, statement.excluded.low),
            "high": high(table.c.high, statement.excluded.high),
            "total": table.c.total + statement.excluded.total,
            "count": table.c.count + statement.excluded.count,
        },
    )
    return HotStatement(merge)


#: Every batch of reports or probe results reads the series of its host or two: run hot.
_SERIES_OF_HOSTS = HotFixedIn(
    series.c.host_id, select(series.c.id, series.c.host_id, series.c.metric).where, "hosts"
)


def series_ids(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The id of each (host id, metric), made for those that have none yet."""
    wanted = set(keys)
    hosts = sorted({host for host, _ in wanted})
    found = _known(conn, hosts)
    missing = sorted(wanted - found.keys())
    if missing:
        rows = [{"host_id": host, "metric": metric} for host, metric in missing]
        made = conn.execute(_new_series(conn.dialect.name), rows)
        found.update({(row.host_id, row.metric): row.id for row in made})
        if not wanted <= found.keys():  # another writer made some first: read theirs
            found = _known(conn, hosts)
    return found


def _known(conn: Connection, hosts: list[str]) -> dict[tuple[str, str], int]:
    if not hosts:
        return {}
    rows = _SERIES_OF_HOSTS.rows(conn, {"hosts": hosts})
    return {(host_id, metric): series_id for series_id, host_id, metric in rows}


def record(conn: Connection, samples: Sequence[Sample]) -> None:
    """Store the samples and merge them into their buckets. A second sample of a series in
    the same second is counted in the buckets but not kept raw (the first one is)."""
    if not samples:
        return
    ids = series_ids(conn, ((s.host_id, s.metric) for s in samples))
    raw = [(ids[s.host_id, s.metric], s.at, s.value) for s in samples]
    buckets = {
        resolution.table.name: [
            (sid, start, *sums)
            for (sid, start), sums in bucket_sums(raw, resolution.step_s).items()
        ]
        for resolution in ROLLUPS
    }
    name = conn.dialect.name
    _new_raw(name).execute_many(conn, [dict(zip(_RAW, row, strict=True)) for row in raw])
    for resolution in ROLLUPS:
        rows = [dict(zip(_BUCKET, row, strict=True)) for row in buckets[resolution.table.name]]
        _merge_rollup(name, resolution.table).execute_many(conn, rows)


_RAW = ("series_id", "at", "value")
_BUCKET = ("series_id", "at", "low", "high", "total", "count")


def metrics_of(conn: Connection, host_id: str) -> dict[str, int]:
    """The host's series ids by metric name."""
    rows = conn.execute(select(series.c.metric, series.c.id).where(series.c.host_id == host_id))
    return {row.metric: row.id for row in rows}


def latest(conn: Connection, host_id: str) -> dict[str, tuple[int, float]]:
    """Each metric's newest raw sample (Unix seconds, value), for the raw samples still kept."""
    inner = series_raw.alias("newer")
    newest = (
        select(func.max(inner.c.at))
        .where(inner.c.series_id == series.c.id)
        .correlate(series)
        .scalar_subquery()
    )
    query = (
        select(series.c.metric, series_raw.c.at, series_raw.c.value)
        .join(series_raw, series_raw.c.series_id == series.c.id)
        .where(series.c.host_id == host_id, series_raw.c.at == newest)
        .order_by(series.c.metric)
    )
    rows: list[Any] = list(conn.execute(query))
    return {r.metric: (int(r.at), float(r.value)) for r in rows}


Point = tuple[int, float, float, float]  # time, lowest, average, highest


def points(
    conn: Connection, series_id: int, resolution: Resolution, start: int, end: int
) -> list[Point]:
    """The series between ``start`` and ``end`` (Unix seconds, both included), oldest first;
    a bucket is included when it starts within the range."""
    table = resolution.table
    where = (table.c.series_id == series_id, table.c.at >= start, table.c.at <= end)
    if resolution is RAW:
        query = select(table.c.at, table.c.value).where(*where).order_by(table.c.at)
        raw: list[Any] = list(conn.execute(query))
        return [(int(r.at), r.value, r.value, r.value) for r in raw]
    query = (
        select(table.c.at, table.c.low, table.c.total, table.c.count, table.c.high)
        .where(*where)
        .order_by(table.c.at)
    )
    rows: list[Any] = list(conn.execute(query))
    return [(int(r.at), r.low, r.total / r.count, r.high) for r in rows]


def series_after(conn: Connection, after_id: int, most: int) -> list[int]:
    """Up to ``most`` series ids above ``after_id``, in order: the pruning job's next batch."""
    query = select(series.c.id).where(series.c.id > after_id).order_by(series.c.id).limit(most)
    return list(conn.scalars(query))


def prune(conn: Connection, table: Table, series_ids: Sequence[int], before: int) -> int:
    """Delete the samples (or buckets) of these series older than ``before``; how many."""
    if not series_ids:
        return 0
    statement = delete(table).where(table.c.series_id.in_(series_ids), table.c.at < before)
    return int(conn.execute(statement).rowcount or 0)


def drop_empty_series(conn: Connection, series_ids: Sequence[int]) -> int:
    """Forget series with nothing left at any resolution (a disk unmounted long ago)."""
    if not series_ids:
        return 0
    empty = [
        ~select(r.table.c.at).where(r.table.c.series_id == series.c.id).exists()
        for r in (RAW, *ROLLUPS)
    ]
    statement = delete(series).where(series.c.id.in_(series_ids), *empty)
    return int(conn.execute(statement).rowcount or 0)


class LatestFigure(NamedTuple):
    customer_id: str
    host_id: str
    metric: str
    value: float


def latest_everywhere(conn: Connection, since: int) -> list[LatestFigure]:
    """Every host's figures whose newest raw sample is at or after ``since`` (Unix seconds),
    ordered by customer, host and metric."""
    inner = series_raw.alias("newer")
    newest = (
        select(func.max(inner.c.at))
        .where(inner.c.series_id == series.c.id)
        .correlate(series)
        .scalar_subquery()
    )
    query = (
        select(hosts.c.customer_id, series.c.host_id, series.c.metric, series_raw.c.value)
        .join(hosts, hosts.c.id == series.c.host_id)
        .join(series_raw, series_raw.c.series_id == series.c.id)
        .where(series_raw.c.at == newest, series_raw.c.at >= since)
        .order_by(hosts.c.customer_id, series.c.host_id, series.c.metric)
    )
    rows: list[Any] = list(conn.execute(query))
    return [LatestFigure(r.customer_id, r.host_id, r.metric, float(r.value)) for r in rows]
