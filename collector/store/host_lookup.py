"""Hosts looked up by id, and the hosts of checks by check id: evaluation reads the host of
every batch of reports and of every batch of check runs, and the heartbeat sweep the hosts it
finds due.

On SQLite both are plain SQL on the driver's own cursor, in the same transaction, each value
through its column's own result processor, as reports and check states are written: for a
lookup of a host or two SQLAlchemy's statement and row handling cost several times what SQLite
takes to answer. PostgreSQL keeps the Core statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, select

from collector.store.columns import result_processor
from collector.store.fixed_in import FixedIn, padded
from collector.store.inventory import Host
from collector.store.schema import host_checks, hosts

#: What a ``Host`` is read from, in its fields' order.
_HOST_COLUMNS = tuple(hosts.c[f.name] for f in fields(Host))
_HOSTS_BY_ID = FixedIn(hosts.c.id, select(*_HOST_COLUMNS).where)
#: Checks by id, each with its host.
_HOSTS_OF_CHECKS = FixedIn(
    host_checks.c.id,
    select(host_checks.c.id, *_HOST_COLUMNS)
    .join_from(host_checks, hosts, hosts.c.id == host_checks.c.host_id)
    .where,
)

_SQLITE_HOST_COLUMNS = ", ".join(f"{hosts.name}.{column.name}" for column in _HOST_COLUMNS)
_SQLITE_HOSTS = f"SELECT {_SQLITE_HOST_COLUMNS} FROM {hosts.name} WHERE {hosts.name}.id IN "
_SQLITE_HOSTS_OF_CHECKS = (
    f"SELECT {host_checks.name}.id, {_SQLITE_HOST_COLUMNS} FROM {host_checks.name} "
    f"JOIN {hosts.name} ON {hosts.name}.id = {host_checks.name}.host_id "
    f"WHERE {host_checks.name}.id IN "
)


def hosts_by_id(conn: Connection, host_ids: Iterable[str]) -> dict[str, Host]:
    """The named hosts that exist (archived ones too), by id, in one query."""
    wanted = sorted(host_ids)
    if conn.dialect.name == "sqlite" and wanted:
        rows = _sqlite_rows(conn, _SQLITE_HOSTS, wanted)
        processors = _processors(conn.dialect)
        return {row[0]: _host(row, processors) for row in rows}
    return {row.id: Host(*row) for row in conn.execute(*_HOSTS_BY_ID.bind(wanted))}


def hosts_of_checks(conn: Connection, check_ids: Iterable[int]) -> dict[int, Host]:
    """The checks of ``check_ids`` that still exist, by id, each with its host: one query."""
    wanted = sorted(check_ids)
    if not wanted:
        return {}
    if conn.dialect.name == "sqlite":
        rows = _sqlite_rows(conn, _SQLITE_HOSTS_OF_CHECKS, wanted)
        processors = _processors(conn.dialect)
        return {row[0]: _host(row[1:], processors) for row in rows}
    found = conn.execute(*_HOSTS_OF_CHECKS.bind(wanted))
    return {check_id: Host(*host) for check_id, *host in found}


def _sqlite_rows(conn: Connection, query: str, values: Sequence[Any]) -> list[Any]:
    """The rows of ``query`` (ending in ``IN``) for ``values``, on the driver's cursor."""
    params = padded(values)
    driver = conn.connection.driver_connection
    cursor = driver.execute(query + _marks(len(params)), params)  # type: ignore[union-attr]
    return list(cursor)


@lru_cache(maxsize=16)
def _marks(count: int) -> str:
    return f"({', '.join(['?'] * count)})"


Processors = tuple[tuple[int, Callable[[Any], Any]], ...]


@lru_cache(maxsize=4)
def _processors(dialect: Dialect) -> Processors:
    """Each host column that Core processes when read (the times), by its place in a row."""
    found = ((i, result_processor(dialect, column)) for i, column in enumerate(_HOST_COLUMNS))
    return tuple((i, process) for i, process in found if process is not None)


def _host(row: Sequence[Any], processors: Processors) -> Host:
    values = list(row)
    for i, process in processors:
        values[i] = process(values[i])
    return Host(*values)
