"""``UtcDateTime`` stores naive UTC and reads back aware UTC, on SQLite by its own quick binding
that must store exactly the text SQLAlchemy's ``DateTime`` stores (rows written either way
compare and sort together)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from collector.store.columns import UtcDateTime

SQLITE = sqlite.dialect()
ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
)


@given(
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9998, 12, 31), timezones=ZONES)
)
def test_sqlite_binding_stores_the_text_sqlalchemy_datetime_stores(moment: datetime) -> None:
    quick = UtcDateTime().bind_processor(SQLITE)
    core = DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert quick is not None and core is not None
    naive_utc = moment.astimezone(UTC).replace(tzinfo=None)
    assert quick(moment) == core(naive_utc)


def test_a_stored_time_reads_back_as_the_same_aware_utc_moment() -> None:
    column = UtcDateTime()
    to_text = column._cached_bind_processor(SQLITE)
    from_text = column._cached_result_processor(SQLITE, None)
    assert to_text is not None and from_text is not None
    moment = datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-4)))
    assert to_text(moment) == "2026-03-29 04:59:59.999999"
    back = from_text(to_text(moment))
    assert back == moment and back.tzinfo is UTC


def test_sqlite_binding_refuses_a_naive_time_and_passes_none() -> None:
    to_text = UtcDateTime().bind_processor(SQLITE)
    assert to_text is not None
    assert to_text(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        to_text(datetime(2026, 1, 1))
