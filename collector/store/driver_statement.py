"""A hot Core statement run on SQLite through the driver's cursor, exactly as Core runs it.

The engine runs a few statements for every fault it decides (the fault's save with what its
mail needs, the customer's open faults), and SQLAlchemy's execution (its cache lookup,
parameter and result handling) costs SQLite several times what the statement itself does.
On SQLite a ``DriverStatement`` compiles the statement once per set of parameter names, as
Core does, and runs the very SQL Core would on the driver's cursor, inside the same
transaction, each parameter through its own bind processor and each result value through its
column's result processor: what is written and read is what Core writes and reads. Elsewhere
(PostgreSQL) it is run by Core.

Statements whose execution Core completes in Python (a column default or onupdate computed
at run time, an expanding or literal parameter) are refused as they are first compiled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Dialect, Executable
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None
Params = Mapping[str, Any]


class DriverStatement:
    """``statement``, run by Core or on SQLite's own cursor; rows come back as tuples."""

    def __init__(self, statement: Executable) -> None:
        self._statement = statement
        self._keys = tuple(statement.exported_columns.keys())  # type: ignore[attr-defined]
        #: By dialect and sorted parameter names: the SQL, its parameters' names and bind
        #: processors in order, and the result columns' processors.
        self._compiled: dict[tuple[Dialect, tuple[str, ...]], _Plain] = {}

    @property
    def keys(self) -> tuple[str, ...]:
        """The names of the result columns, in the order of each row's values."""
        return self._keys

    def mappings(self, conn: Connection, params: Params) -> list[dict[str, Any]]:
        """``rows``, each as a dict by column name."""
        keys = self._keys
        return [dict(zip(keys, row, strict=True)) for row in self.rows(conn, params)]

    def rows(self, conn: Connection, params: Params) -> list[tuple[Any, ...]]:
        """The rows the statement returns with ``params``."""
        if conn.dialect.name != "sqlite":
            return [tuple(row) for row in conn.execute(self._statement, dict(params))]
        plain = self._plain(conn.dialect, params)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plain.sql, plain.arguments(params))
            found = cursor.fetchall()
        finally:
            cursor.close()
        if not found:
            return []
        # Column by column, each processor mapped over its column: the loops run in C.
        columns = zip(*found, strict=True)
        done = [c if p is None else map(p, c) for p, c in zip(plain.results, columns, strict=True)]
        return list(zip(*done, strict=True))

    def first(self, conn: Connection, params: Params) -> tuple[Any, ...] | None:
        found = self.rows(conn, params)
        return found[0] if found else None

    def rowcount(self, conn: Connection, params: Params) -> int:
        """Run a statement that returns no rows; how many rows it matched."""
        if conn.dialect.name != "sqlite":
            return int(conn.execute(self._statement, dict(params)).rowcount)
        plain = self._plain(conn.dialect, params)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plain.sql, plain.arguments(params))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _plain(self, dialect: Dialect, params: Params) -> _Plain:
        # Core compiles a statement for the names of the parameters it is given (an update
        # sets the columns named), sorted; so does this.
        names = tuple(sorted(params))
        found = self._compiled.get((dialect, names))
        if found is None:
            compile_for = self._statement.compile  # type: ignore[attr-defined]
            compiled = compile_for(dialect=dialect, column_keys=list(names))
            columns = self._statement.exported_columns  # type: ignore[attr-defined]
            found = self._compiled[(dialect, names)] = _Plain(compiled, dialect, columns)
        return found


class _Plain:
    """A statement compiled for SQLite, with how its parameters and results are processed."""

    def __init__(self, compiled: SQLCompiler, dialect: Dialect, columns: Iterable[Any]) -> None:
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a default computed in Python: run this statement by Core")
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a parameter rendered at run time: run this statement by Core")
        assert compiled.positiontup is not None  # SQLite's parameters are positional
        self.sql = compiled.string
        self._compiled = compiled
        self._names = tuple(compiled.positiontup)
        binds = compiled.binds
        self._binds = tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self._names
        )
        self.results: tuple[Processor, ...] = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )

    def arguments(self, params: Params) -> list[Any]:
        """The statement's positional arguments: the given values, and any the statement
        fixes itself, each through its bind processor."""
        values = self._compiled.construct_params(dict(params), escape_names=False)
        return [
            value if bind is None else bind(value)
            for bind, value in zip(self._binds, map(values.__getitem__, self._names), strict=True)
        ]
