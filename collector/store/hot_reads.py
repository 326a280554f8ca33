"""The sweeps' hottest reads: Core statements run, on SQLite, on the driver's own cursor.

The clock's sweeps make the same few small reads at almost every moment (the deadlines ahead,
the mail owed, the remote-access faults, the vendor's network), and SQLAlchemy's handling of
a statement (its parameters, its result, its rows) costs several times what SQLite takes to
answer them. A ``HotRead`` compiles its statement once per dialect and, on SQLite, runs the
very SQL Core renders on the driver's cursor, in the same transaction, with each parameter
and each result column through its type's own bind and result processor: it reads exactly
what ``conn.execute`` reads. On any other database it is ``conn.execute``.

Rows come back as sequences (Core's rows elsewhere), in the statement's column order: read
them by position or unpack them, or by name through ``keyed``. A statement with a list
parameter (``expanding``) is refused, as its text changes with the list (``HotFixedIn`` binds
a short list as ``fixed_in`` does), and a parameter given a value in the statement keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Dialect, Select

from collector.store.fixed_in import FixedIn

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """A statement as SQLite runs it: its SQL, and for each ``?`` in order either the
    caller's parameter to bind (by name, with its processor) or a value bound already."""

    sql: str
    slots: tuple[tuple[str | None, Any, Processor], ...]
    #: The result columns with a processor: their place in the row, and it.
    results: tuple[tuple[int, Callable[[Any], Any]], ...]


class HotRead:
    """``statement``, read through the driver's cursor on SQLite (see the module)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        #: The result columns' names, in order.
        self.keys = tuple(str(column.key) for column in statement.selected_columns)
        self._plans: dict[int, _Plan] = {}

    def rows(
        self, conn: Connection, params: Mapping[str, Any] | None = None
    ) -> Sequence[Sequence[Any]]:
        """Every row the statement reads with ``params``."""
        dialect = conn.dialect
        if dialect.name != "sqlite":
            return conn.execute(self.statement, params).all()
        plan = self._plans.get(id(dialect))
        if plan is None:
            plan = self._plans[id(dialect)] = _plan(self.statement, dialect)
        given = params or {}
        values = [
            (value if name is None else given[name] if processor is None
             else processor(given[name]))
            for name, value, processor in plan.slots
        ]  # fmt: skip
        driver = conn.connection.driver_connection
        found = driver.execute(plan.sql, values).fetchall()  # type: ignore[union-attr]
        if not plan.results or not found:
            return found
        processed = []
        for row in found:
            values = list(row)
            for index, processor in plan.results:
                values[index] = processor(values[index])
            processed.append(values)
        return processed


def _plan(statement: Select[Any], dialect: Dialect) -> _Plan:
    """The statement as Core would send it to SQLite, and how Core would bind and read it."""
    compiled = statement.compile(dialect=dialect)
    binds = compiled.binds
    if any(bind.expanding and bind.required for bind in binds.values()):
        raise ValueError("a list parameter changes the statement's text: not a hot read")
    wanted = {bind.key for bind in binds.values() if bind.required}
    # Literal lists (``IN ('a', 'b')``) are expanded once, into parameters of their own.
    expanded = compiled.construct_expanded_state(dict.fromkeys(wanted))
    origin = {new: old for old, news in expanded.parameter_expansion.items() for new in news}
    slots: list[tuple[str | None, Any, Processor]] = []
    for name in expanded.positiontup or ():
        bind = binds[origin.get(name, name)]
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in wanted:
            slots.append((name, None, processor))
        else:
            value = expanded.parameters[name]
            slots.append((None, value if processor is None else processor(value), None))
    results = (
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.selected_columns
    )
    kept = tuple((index, p) for index, p in enumerate(results) if p is not None)
    return _Plan(expanded.statement, tuple(slots), kept)


class KeyedRow:
    """A row read by column name, as the views read Core's (``row._mapping[name]``)."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        self._mapping = mapping


def keyed(read: HotRead, row: Sequence[Any]) -> KeyedRow:
    """``row`` of ``read`` by its columns' names."""
    return KeyedRow(dict(zip(read.keys, row, strict=True)))


class HotFixedIn:
    """A statement filtered by ``column IN (values)`` (``fixed_in.FixedIn``), read hot: its
    parameter ``key`` holds the values. A list too long for fixed parameters (or an empty
    one) goes through Core, whose list parameter changes the statement's text."""

    def __init__(
        self, column: ColumnElement[Any], make: Callable[[ColumnElement[bool]], Select[Any]],
        key: str,
    ) -> None:  # fmt: skip
        self._fixed = FixedIn(column, make)
        self._key = key
        self._reads: dict[int, HotRead] = {}

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Every row the statement reads with ``params``."""
        others = {name: value for name, value in params.items() if name != self._key}
        statement, bound = self._fixed.bind(params[self._key])
        if "in_values" in bound:
            return conn.execute(statement, {**bound, **others}).all()
        read = self._reads.get(id(statement))
        if read is None:  # ``FixedIn`` keeps the statement, so its id stays its own
            read = self._reads[id(statement)] = HotRead(statement)
        return read.rows(conn, {**bound, **others})
