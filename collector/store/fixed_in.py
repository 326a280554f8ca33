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

#: The longest list bound to fixed parameters.
MOST_FIXED = 64


def padded_size(count: int) -> int:
    """The number of parameters a list of ``count`` values is bound to: a power of two."""
    return 1 << max(count - 1, 0).bit_length()


def padded(values: Sequence[Any]) -> list[Any]:
    """``values`` padded to ``padded_size`` by repeating the last, when short enough to be
    bound to fixed parameters: for plain SQL, whose text then repeats too."""
    found = list(values)
    if len(found) <= MOST_FIXED:
        found += found[-1:] * (padded_size(len(found)) - len(found))
    return found


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

    def bind(self, values: Sequence[Any]) -> tuple[S, dict[str, Any]]:
        """The statement for ``values`` and the parameters binding them."""
        if not values or len(values) > MOST_FIXED:
            return self._statement(0), {"in_values": list(values)}
        size = padded_size(len(values))
        last = len(values) - 1
        return self._statement(size), {f"in_{i}": values[min(i, last)] for i in range(size)}

    def _statement(self, size: int) -> S:
        """The statement with ``size`` parameters (0: an expanding one)."""
        statement = self._built.get(size)
        if statement is None:
            if size:
                condition = self._column.in_([bindparam(f"in_{i}") for i in range(size)])
            else:
                condition = self._column.in_(bindparam("in_values", expanding=True))
            statement = self._built[size] = self._make(condition)
        return statement
