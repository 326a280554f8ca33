"""Hot Core statements run, on SQLite, on the driver's own cursor, exactly as Core runs them.

Why: the engine and the simulated clock run a few small statements at almost every moment
(a fault's save, its events and mail, the deadlines ahead, the open faults), and SQLAlchemy's
per-statement work (cache lookup, parameter and result handling, rows) costs several times
what SQLite takes to run them. A ``HotStatement`` compiles its statement once per set of
parameter names, as Core does, and runs the very SQL Core renders on the driver's cursor, in
the same transaction, each parameter through its bind processor and each result column
through its column's result processor: it reads and writes exactly what Core does. On any
other database (PostgreSQL) it is ``conn.execute``.

What it guarantees, or refuses as it first compiles: a literal list (``IN ('a', 'b')``) is
expanded once and a value given in the statement is bound once, as Core binds them; a list
parameter (whose text changes with the list: ``HotFixedIn`` binds lists to fixed parameters
as ``fixed_in`` does) and a default Core computes in Python are refused (``hot_insert``
checks an insert names every column with a default as it is built). This is the one way a
Core statement is run on SQLite's cursor; the few hand-written SQL statements left (a batch
of reports in one statement) bind through ``columns.bind_processor``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Dialect, Executable, Table, insert

from collector.store.fixed_in import MOST_FIXED, FixedIn

Processor = Callable[[Any], Any] | None
Params = Mapping[str, Any]
_NO_PARAMS: Params = {}
_UNKNOWN: Any = object()


@dataclass(frozen=True)
class _Plan:
    """A statement as SQLite runs it: its SQL, and for each ``?`` in order either the
    caller's parameter to bind (by name, with its processor) or a value bound already."""

    sql: str
    slots: tuple[tuple[str | None, Any, Processor], ...]
    #: Each result column's processor, in order; None when no column has one.
    results: tuple[Processor, ...] | None

    def binding(self, given: Params) -> _Plan:
        """This plan with the parameters of ``given`` bound already."""
        slots = [
            (name, value, processor) if name is None or name not in given
            else (None, given[name] if processor is None else processor(given[name]), None)
            for name, value, processor in self.slots
        ]  # fmt: skip
        return _Plan(self.sql, tuple(slots), self.results)


class HotStatement:
    """``statement``, run by Core or on SQLite's own cursor (see the module). Rows come back
    as sequences in the statement's column order (Core's rows elsewhere): read them by
    position, unpack them, or read them by name through ``mappings``."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        columns = statement.exported_columns  # type: ignore[attr-defined]
        #: The result columns' names, in the order of each row's values.
        self.keys: tuple[str, ...] = tuple(columns.keys())
        #: By dialect and the names of the parameters given (Core compiles an insert or an
        #: update for the columns it is given).
        self._plans: dict[tuple[Dialect, frozenset[str]], _Plan] = {}

    def rows(self, conn: Connection, params: Params | None = None) -> Sequence[Sequence[Any]]:
        """Every row the statement returns with ``params``."""
        given = params or _NO_PARAMS
        if conn.dialect.name != "sqlite":
            return conn.execute(self.statement, dict(given)).all()
        dialect = conn.dialect
        plan = self._plans.get((dialect, frozenset(given))) or self._plan(dialect, given)
        # ``_values``, inline: this is the hottest path of all.
        arguments = [
            value if name is None else given[name] if processor is None
            else processor(given[name])
            for name, value, processor in plan.slots
        ]  # fmt: skip
        driver = conn.connection.dbapi_connection
        found = driver.execute(plan.sql, arguments).fetchall()  # type: ignore[union-attr]
        if plan.results is None or not found:
            return found
        # Column by column, each processor mapped over its column: the loops run in C.
        columns = zip(*found, strict=True)
        done = [c if p is None else map(p, c) for p, c in zip(plan.results, columns, strict=True)]
        return list(zip(*done, strict=True))

    def first(self, conn: Connection, params: Params | None = None) -> Sequence[Any] | None:
        """The first row the statement returns, if any."""
        found = self.rows(conn, params)
        return found[0] if found else None

    def mappings(self, conn: Connection, params: Params | None = None) -> list[dict[str, Any]]:
        """``rows``, each as a dict by column name."""
        keys = self.keys
        return [dict(zip(keys, row, strict=True)) for row in self.rows(conn, params)]

    def rowcount(self, conn: Connection, params: Params | None = None) -> int:
        """Run a statement that returns no rows; how many rows it matched."""
        given = params or _NO_PARAMS
        if conn.dialect.name != "sqlite":
            return int(conn.execute(self.statement, dict(given)).rowcount)
        dialect = conn.dialect
        plan = self._plans.get((dialect, frozenset(given))) or self._plan(dialect, given)
        driver = conn.connection.dbapi_connection
        return int(driver.execute(plan.sql, _values(plan, given)).rowcount)  # type: ignore[union-attr]

    def insert(self, conn: Connection, row: Params) -> int:
        """Run an insert of one ``row``; the new row's primary key (an integer id)."""
        if conn.dialect.name != "sqlite":
            result = conn.execute(self.statement, dict(row))
            return int(result.inserted_primary_key[0])  # type: ignore[index]
        dialect = conn.dialect
        plan = self._plans.get((dialect, frozenset(row))) or self._plan(dialect, row)
        driver = conn.connection.dbapi_connection
        return int(driver.execute(plan.sql, _values(plan, row)).lastrowid)  # type: ignore[union-attr]

    def execute_many(
        self, conn: Connection, rows: Sequence[Params], same: Params | None = None
    ) -> None:
        """Run the statement once per row of ``rows`` (each naming the same parameters), in
        their order (an insert's ids follow it); ``same``: values every row shares, bound
        once."""
        if not rows:
            return
        shared = same or _NO_PARAMS
        if conn.dialect.name != "sqlite":
            conn.execute(self.statement, [{**row, **shared} for row in rows])
            return
        plan = self._plan(conn.dialect, {**rows[0], **shared})
        if shared:
            plan = plan.binding(shared)
        driver = conn.connection.dbapi_connection
        # The arguments of each row in one comprehension, as ``_values`` makes them for one.
        arguments = [
            [
                value if name is None else given[name] if processor is None
                else processor(given[name])
                for name, value, processor in plan.slots
            ]
            for given in rows
        ]  # fmt: skip
        driver.executemany(plan.sql, arguments)  # type: ignore[union-attr]

    def _plan(self, dialect: Dialect, params: Params) -> _Plan:
        """The plan for ``params``' names, made on first use (then found by the callers)."""
        names = frozenset(params)
        found = self._plans.get((dialect, names))
        if found is None:
            found = self._plans[(dialect, names)] = _plan(self.statement, dialect, names)
        return found


def _values(plan: _Plan, given: Params) -> list[Any]:
    """The statement's positional arguments: the given values and those it fixes itself,
    each through its bind processor."""
    return [
        (value if name is None else given[name] if processor is None
         else processor(given[name]))
        for name, value, processor in plan.slots
    ]  # fmt: skip


def _plan(statement: Executable, dialect: Dialect, names: frozenset[str]) -> _Plan:
    """The statement as Core would send it to SQLite with parameters ``names``, and how Core
    would bind and read it."""
    # The cursor used is the DB-API connection's, which pysqlite's is: sqlite3's own.
    if dialect.driver != "pysqlite":
        raise ValueError(f"SQLite through {dialect.driver}: run this statement by Core")
    compile_for = statement.compile  # type: ignore[attr-defined]
    compiled = compile_for(dialect=dialect, column_keys=sorted(names))
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError("a default computed in Python: run this statement by Core")
    binds = compiled.binds
    wanted = set(names) | {bind.key for bind in binds.values() if bind.required}
    if any(
        bind.key in wanted and (bind.expanding or bind.literal_execute) for bind in binds.values()
    ):
        raise ValueError("a list parameter changes the statement's text: run it by Core")
    # Literal lists (``IN ('a', 'b')``) are expanded once, into parameters of their own.
    expanded = compiled.construct_expanded_state(dict.fromkeys(wanted))
    origin = {new: old for old, news in expanded.parameter_expansion.items() for new in news}
    slots: list[tuple[str | None, Any, Processor]] = []
    processors: dict[int, Processor] = {}  # by type: a long ``IN`` has many binds of one
    for name in expanded.positiontup or ():
        bind = binds[origin.get(name, name)]
        processor = processors.get(id(bind.type), _UNKNOWN)
        if processor is _UNKNOWN:
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            processors[id(bind.type)] = processor
        if name in wanted:
            slots.append((name, None, processor))
        else:
            value = expanded.parameters[name]
            slots.append((None, value if processor is None else processor(value), None))
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.exported_columns  # type: ignore[attr-defined]
    )
    kept = results if any(p is not None for p in results) else None
    return _Plan(expanded.statement, tuple(slots), kept)


def hot_insert(table: Table, columns: Sequence[str]) -> HotStatement:
    """An insert into ``table`` whose rows give ``columns``. Core fills in a column's default
    computed in Python when a row leaves it out; the plain SQL cannot, so the insert must name
    every column with a default (checked here, as it is built)."""
    defaulted = [c.name for c in table.c if c.default is not None and c.name not in columns]
    if defaulted:
        raise ValueError(f"{table.name}: columns with defaults left out: {defaulted}")
    return HotStatement(insert(table))


#: The longest list ``HotFixedIn`` binds to fixed parameters on SQLite (a statement per power
#: of two, up to this; SQLite allows 32766 parameters): a fleet's hosts at once, say.
MOST_HOT_FIXED = 4096


class HotFixedIn:
    """A statement filtered by ``column IN (values)`` (``fixed_in.FixedIn``), run hot: its
    parameter ``key`` holds the values. An empty list, or one too long for fixed parameters
    (``fixed_in.MOST_FIXED`` elsewhere, ``MOST_HOT_FIXED`` on SQLite, where a statement is
    cheap to run but costly to execute through Core), goes through Core, whose list
    parameter changes the statement's text."""

    def __init__(
        self, column: ColumnElement[Any], make: Callable[[ColumnElement[bool]], Executable],
        key: str,
    ) -> None:  # fmt: skip
        self._fixed = FixedIn(column, make)
        self._key = key
        self._hot: dict[int, HotStatement] = {}

    def rows(self, conn: Connection, params: Params) -> Sequence[Sequence[Any]]:
        """Every row the statement reads with ``params``."""
        hot, statement, bound = self._bound(conn, params)
        if hot is None:
            return conn.execute(statement, bound).all()
        return hot.rows(conn, bound)

    def rowcount(self, conn: Connection, params: Params) -> int:
        """Run a statement that returns no rows; how many rows it matched."""
        hot, statement, bound = self._bound(conn, params)
        if hot is None:
            return int(conn.execute(statement, bound).rowcount)
        return hot.rowcount(conn, bound)

    def _bound(
        self, conn: Connection, params: Params
    ) -> tuple[HotStatement | None, Executable, dict[str, Any]]:
        """The statement for ``params``' list (hot, or None: to run by Core) and its
        parameters."""
        most = MOST_HOT_FIXED if conn.dialect.name == "sqlite" else MOST_FIXED
        statement, bound = self._fixed.bind(params[self._key], most)
        if len(params) > 1:  # the statement's own parameters
            for name, value in params.items():
                if name != self._key:
                    bound[name] = value
        if "in_values" in bound:
            return None, statement, bound
        hot = self._hot.get(id(statement))
        if hot is None:  # ``FixedIn`` keeps the statement, so its id stays its own
            hot = self._hot[id(statement)] = HotStatement(statement)
        return hot, statement, bound
