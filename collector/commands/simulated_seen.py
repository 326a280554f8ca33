"""Hosts' last-seen times moved as the reports the simulation leaves out would have moved them.

Before every heartbeat sweep the simulation moves the last-seen time of every reporting host
(``simulation._seen``): hundreds of hosts, a few times each simulated hour. Hosts that report
at one interval from one start share their time, so each time is one statement for all its
hosts, run hot (``hot_statements``: on SQLite, on the driver's own cursor).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, bindparam, update

from collector.store.hot_statements import HotFixedIn
from collector.store.schema import hosts

_MARK_SEEN = HotFixedIn(
    hosts.c.id,
    lambda hosts_named: update(hosts).where(hosts_named).values(last_seen_at=bindparam("seen")),
    "hosts",
)


def mark_seen(conn: Connection, seen: Mapping[str, datetime]) -> None:
    """Set each host's last-seen time (host id → time): one statement for each time."""
    by_time: dict[datetime, list[str]] = {}
    for host_id, at in seen.items():
        by_time.setdefault(at, []).append(host_id)
    for at, host_ids in by_time.items():
        _MARK_SEEN.rowcount(conn, {"hosts": host_ids, "seen": at})
