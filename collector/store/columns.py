"""What every table is declared on: one ``MetaData`` with the constraint naming convention, and
the column types of our own; and what a column does to a value before the driver sees it, for
the few hot statements that stay hand-written SQL (``bind_processor``; Core statements run hot
through ``hot_statements``).

All timestamps are UTC. SQLite has no time zone type, so ``UtcDateTime`` stores naive UTC and
hands back aware UTC datetimes on both databases.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    LargeBinary,
    MetaData,
    TypeDecorator,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the text SQLAlchemy's ``DateTime`` would store, 'YYYY-MM-DD
        HH:MM:SS.ffffff' of the naive UTC time, made in one step: its own (a %-format of a
        dict) is most of the cost of binding a time, and every hot statement binds some."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        naive_utc = self.process_bind_param

        def as_text(value: datetime | None) -> str | None:
            found = naive_utc(value, dialect)
            return None if found is None else found.isoformat(" ", "microseconds")

        return as_text


class PackedJSON(TypeDecorator[Any]):
    """JSON stored zlib-compressed: a report's body is the biggest thing the collector keeps,
    and its keys repeat in every one (a third of the size, or less).

    Reads what is stored in any form: compressed bytes; bytes of plain JSON (PostgreSQL rows
    from before, whose column was converted); text (SQLite rows from before). A zlib stream
    starts with ``x``, JSON with ``{``, so the two never mix up.
    """

    impl = LargeBinary
    cache_ok = True

    @staticmethod
    def pack_text(text: str) -> bytes:
        """A body already encoded as JSON (as the agent sent it), packed without decoding."""
        return zlib.compress(text.encode(), 6)

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return self.pack_text(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or isinstance(value, dict | list):
            return value
        if isinstance(value, str):
            return json.loads(value)
        data = bytes(value)
        return json.loads(zlib.decompress(data) if data[:1] == b"x" else data)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def bind_processor(dialect: Dialect, column: Column[Any]) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of ``column`` before the driver sees it, for the few
    hot statements written as plain SQL: their values are stored exactly as Core stores them."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor or (lambda value: value)
