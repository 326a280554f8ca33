"""``column IN (...)`` with a fixed number of parameters, for the hot lookups of a few ids.

SQLAlchemy's expanding parameters (``bindparam(..., expanding=True)``) rewrite the compiled
statement at every execution, which costs more than SQLite takes to run a lookup of one or
two hosts. A statement with a fixed number of parameters is compiled once and then only
executed. Short lists are padded to the next power of two by repeating their last value
(which changes no ``IN``), so a query needs a handful of statements, not one per length;
long ones (and empty ones), where the rewriting costs little beside the query, use an
expanding parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Executable, bindparam

S = TypeVar("S", bound=Executable)

#: The longest list bound to fixed parameters, unless ``bind`` is told otherwise (a hot
#: statement on SQLite, ``hot_statements.HotFixedIn``, binds longer ones too).
MOST_FIXED = 64


def padded_size(count: int) -> int:
    """The number of parameters a list of ``count`` values is bound to: a power of two."""
    return 1 << max(count - 1, 0).bit_length()


class FixedIn(Generic[S]):
    """A statement filtered by ``column IN (values)``, built on first use for each size.

    ``make`` receives the ``IN`` condition and returns the statement; its parameters are
    named ``in_0``, ``in_1``, ... (``in_values`` for a long list), so the statement's own
    parameters must be named otherwise.
    """

    def __init__(
        self, column: ColumnElement[Any], make: Callable[[ColumnElement[bool]], S]
    ) -> None:
        self._column = column
        self._make = make
        self._built: dict[int, S] = {}
        #: The parameters' names of each size's statement.
        self._names: dict[int, tuple[str, ...]] = {}

    def bind(self, values: Sequence[Any], most: int = MOST_FIXED) -> tuple[S, dict[str, Any]]:
        """The statement for ``values`` and the parameters binding them: fixed ones for up to
        ``most`` values."""
        count = len(values)
        if not count or count > most:
            return self._statement(0), {"in_values": list(values)}
        size = padded_size(count)
        statement = self._statement(size)
        padding = [values[-1]] * (size - count)  # changes no ``IN``
        return statement, dict(zip(self._names[size], [*values, *padding], strict=True))

    def _statement(self, size: int) -> S:
        """The statement with ``size`` parameters (0: an expanding one)."""
        statement = self._built.get(size)
        if statement is None:
            if size:
                names = self._names[size] = tuple(f"in_{i}" for i in range(size))
                condition = self._column.in_([bindparam(name) for name in names])
            else:
                condition = self._column.in_(bindparam("in_values", expanding=True))
            statement = self._built[size] = self._make(condition)
        return statement
