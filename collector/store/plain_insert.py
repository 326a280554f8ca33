"""Hot single-table inserts: Core on PostgreSQL, plain SQL on SQLite's own cursor.

The engine writes a fault's events, its incident and its mail for every change, a row or two
at a time, and SQLAlchemy's statement handling costs SQLite several times what the insert
itself does. On SQLite a ``PlainInsert`` runs the same insert as plain SQL on the driver's
cursor, inside the same transaction, each value passed through its column's own bind
processor, so what is stored is exactly what Core stores (as ``collector.store.reports``,
``probe_results`` and ``watch_states`` do for their hottest writes).

Core fills in a column's Python-side default when a row leaves it out; plain SQL cannot, so
an insert names every column that has one (checked as it is built) and every row gives a
value for each of its columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Insert, Table, insert

Row = Mapping[str, Any]
#: Each column's name and bind processor (None: the value goes to the driver as it is).
_Binds = tuple[tuple[str, Callable[[Any], Any] | None], ...]


class PlainInsert:
    """An insert of ``columns`` of ``table``; rows give a value for each of them."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        defaulted = [c.name for c in table.c if c.default is not None and c.name not in columns]
        if defaulted:  # Core would fill them in, plain SQL would not
            raise ValueError(f"{table.name}: columns with defaults left out: {defaulted}")
        self._table = table
        self._columns = tuple(columns)
        self._core: Insert = insert(table)
        #: The plain SQL and the columns' own bind processors, by dialect: made on first use.
        self._plain: dict[Dialect, tuple[str, _Binds]] = {}

    def one(self, conn: Connection, row: Row) -> int:
        """Insert ``row``; returns its primary key (the table's integer id)."""
        if conn.dialect.name != "sqlite":
            result = conn.execute(self._core, dict(row))
            return int(result.inserted_primary_key[0])  # type: ignore[index]
        sql, binds = self._sqlite(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, self._values(binds, row))
            return int(cursor.lastrowid)
        finally:
            cursor.close()

    def many(self, conn: Connection, rows: Sequence[Row]) -> None:
        """Insert ``rows``, in their order (their ids follow it)."""
        if not rows:
            return
        if conn.dialect.name != "sqlite":
            conn.execute(self._core, [dict(row) for row in rows])
            return
        sql, binds = self._sqlite(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, [self._values(binds, row) for row in rows])
        finally:
            cursor.close()

    @staticmethod
    def _values(binds: _Binds, row: Row) -> list[Any]:
        return [row[name] if bind is None else bind(row[name]) for name, bind in binds]

    def _sqlite(self, dialect: Dialect) -> tuple[str, _Binds]:
        found = self._plain.get(dialect)
        if found is None:
            quote = dialect.identifier_preparer.quote
            names = ", ".join(quote(name) for name in self._columns)
            marks = ", ".join("?" * len(self._columns))
            sql = f"INSERT INTO {quote(self._table.name)} ({names}) VALUES ({marks})"
            binds = tuple(
                (name, self._table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                for name in self._columns
            )
            found = self._plain[dialect] = (sql, binds)
        return found
