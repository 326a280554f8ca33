"""Hosts looked up by id, and the hosts of checks by check id: evaluation reads the host of
every batch of reports and of every batch of check runs, and the heartbeat sweep the hosts it
finds due.

Both are run hot (``hot_statements``: on SQLite's own cursor, each value through its column's
own result processor): for a lookup of a host or two SQLAlchemy's statement and row handling
cost several times what SQLite takes to answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from sqlalchemy import Connection, select

from collector.store.hot_statements import HotFixedIn
from collector.store.inventory import Host
from collector.store.schema import host_checks, hosts

#: What a ``Host`` is read from, in its fields' order (its id first).
_HOST_COLUMNS = tuple(hosts.c[f.name] for f in fields(Host))
_HOSTS_BY_ID = HotFixedIn(hosts.c.id, select(*_HOST_COLUMNS).where, "hosts")
#: Checks by id, each with its host.
_HOSTS_OF_CHECKS = HotFixedIn(
    host_checks.c.id,
    select(host_checks.c.id, *_HOST_COLUMNS)
    .join_from(host_checks, hosts, hosts.c.id == host_checks.c.host_id)
    .where,
    "checks",
)


def hosts_by_id(conn: Connection, host_ids: Iterable[str]) -> dict[str, Host]:
    """The named hosts that exist (archived ones too), by id, in one query."""
    rows = _HOSTS_BY_ID.rows(conn, {"hosts": sorted(host_ids)})
    return {row[0]: Host(*row) for row in rows}


def hosts_of_checks(conn: Connection, check_ids: Iterable[int]) -> dict[int, Host]:
    """The checks of ``check_ids`` that still exist, by id, each with its host: one query."""
    wanted = sorted(check_ids)
    if not wanted:
        return {}
    rows = _HOSTS_OF_CHECKS.rows(conn, {"checks": wanted})
    return {check_id: Host(*host) for check_id, *host in rows}
