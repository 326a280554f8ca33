"""Hosts' last-seen times moved as the reports the simulation leaves out would have moved them.

Before every heartbeat sweep the simulation moves the last-seen time of every reporting host
(``simulation._seen``): hundreds of hosts, a few times each simulated hour. Hosts that report
at one interval from one start share their time, so each time is one statement for all its
hosts; on SQLite it runs on the driver's own cursor, its time bound as Core binds it (the
column's own bind processor), as ``reports`` writes last-seen times with each report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection, bindparam, update

from collector.store.columns import bind_processor
from collector.store.schema import hosts

_MARK_SEEN = (
    update(hosts)
    .where(hosts.c.id.in_(bindparam("hosts", expanding=True)))
    .values(last_seen_at=bindparam("seen"))
)


def mark_seen(conn: Connection, seen: Mapping[str, datetime]) -> None:
    """Set each host's last-seen time (host id → time): one statement for each time."""
    by_time: dict[datetime, list[str]] = {}
    for host_id, at in seen.items():
        by_time.setdefault(at, []).append(host_id)
    if conn.dialect.name != "sqlite":
        for at, host_ids in by_time.items():
            conn.execute(_MARK_SEEN, {"hosts": host_ids, "seen": at})
        return
    as_stored = bind_processor(conn.dialect, hosts.c.last_seen_at)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for at, host_ids in by_time.items():
            cursor.execute(_sqlite_mark_seen_sql(len(host_ids)), [as_stored(at), *host_ids])
    finally:
        cursor.close()


@lru_cache(maxsize=64)
def _sqlite_mark_seen_sql(count: int) -> str:
    marks = ", ".join(["?"] * count)
    return f"UPDATE {hosts.name} SET last_seen_at = ? WHERE id IN ({marks})"
