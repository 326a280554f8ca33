"""A host's figures: the latest of each, and one metric over a time range.

Shared by the JSON API, the dashboard's graphs and (for a customer's own hosts) the portal:
whoever calls decides who may see the host; these only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from collector.config.settings import HistorySettings
from collector.store import faults as fault_store
from collector.store import inventory
from collector.store import maintenance as maintenance_store
from collector.store import series as series_store
from collector.store.series import Resolution

#: The widest range one request may ask for: what the hourly buckets keep, and then some.
MOST_DAYS = 800


class UnknownMetric(LookupError):
    """The host has no series of that name (never reported it, or it was pruned)."""


@dataclass(frozen=True)
class SeriesQuery:
    host_id: str
    metric: str
    start: datetime
    end: datetime


def resolution_for(start: datetime, now: datetime, history: HistorySettings) -> Resolution:
    """The finest resolution still kept as far back as ``start``."""
    if start >= now - timedelta(hours=history.raw_retention_hours):
        return series_store.RAW
    if start >= now - timedelta(days=history.five_minute_retention_days):
        return series_store.FIVE_MINUTES
    return series_store.HOURLY


def series_json(
    conn: Connection, query: SeriesQuery, now: datetime, history: HistorySettings
) -> dict[str, Any]:
    """``{"metric", "step_s", "points": [[time, lowest, average, highest], …]}``, times in
    Unix seconds; raw samples have one value three times and the host's interval as step."""
    host = inventory.get_host(conn, query.host_id)  # NotFound for a mistyped host
    series_id = series_store.metrics_of(conn, host.id).get(query.metric)
    if series_id is None:
        raise UnknownMetric(f"host {host.id!r} has no figures for {query.metric!r}")
    resolution = resolution_for(query.start, now, history)
    start, end = int(query.start.timestamp()), int(query.end.timestamp())
    if resolution.step_s:
        start -= start % resolution.step_s  # the bucket that holds the range's first moment
    found = series_store.points(conn, series_id, resolution, start, end)
    return {
        "metric": query.metric,
        "step_s": resolution.step_s or int(host.heartbeat_interval_s),
        "points": [list(point) for point in found],
    }


def latest_json(conn: Connection, host_id: str) -> dict[str, float]:
    """Each metric's newest value (of the raw samples still kept)."""
    return {metric: value for metric, (_, value) in series_store.latest(conn, host_id).items()}


def latest_with_times(conn: Connection, host_id: str) -> dict[str, tuple[int, float]]:
    return series_store.latest(conn, host_id)


def metric_names(conn: Connection, host_id: str) -> list[str]:
    return sorted(series_store.metrics_of(conn, host_id))


def periods_json(
    conn: Connection, host_id: str, start: datetime, end: datetime, now: datetime
) -> dict[str, list[list[Any]]]:
    """What to shade behind the host's graphs, in Unix seconds: its faults
    ``[opened, resolved or now, severity]`` and maintenance ``[start, end]``."""
    faults = [
        [int(opened.timestamp()), int((resolved or now).timestamp()), severity]
        for opened, resolved, severity in fault_store.spans_between(conn, host_id, start, end)
    ]
    maintenance = [
        [int(s.timestamp()), int(e.timestamp())]
        for stored in maintenance_store.list_windows(conn, host_id=host_id)
        for s, e in stored.window.spans_between(start, end)
    ]
    return {"faults": faults, "maintenance": sorted(maintenance)}


#: The graph ranges a page offers, by name: how far back from now.
RANGES = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "90d": timedelta(days=90),
}


def graph_json(
    conn: Connection, query: SeriesQuery, now: datetime, history: HistorySettings
) -> dict[str, Any]:
    """A graph's data: the series, its range in Unix seconds, and the periods to shade."""
    found = series_json(conn, query, now, history)
    found["from"], found["to"] = int(query.start.timestamp()), int(query.end.timestamp())
    found["periods"] = periods_json(conn, query.host_id, query.start, query.end, now)
    return found
