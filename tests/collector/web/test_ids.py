"""Ids and numbers from paths and query strings: ASCII digits, within what a column holds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.web.ids import MAX_ID, row_id, unstorable, whole_number


@pytest.mark.parametrize("raw", ["1", "42", str(MAX_ID)])
def test_it_reads_a_row_id(raw: str) -> None:
    assert row_id(raw) == int(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1_000",
        "1e3",
        "0x10",
        "²",
        "٣",
        "१२",
        "\uff11",  # FULLWIDTH DIGIT ONE
        str(MAX_ID + 1),
        str(2**63),
        "9" * 40,
    ],
)
def test_it_refuses_what_no_row_id_can_be(raw: str) -> None:
    assert row_id(raw) is None


@given(st.text(max_size=30))
def test_it_never_raises_and_only_takes_ascii_digits(raw: str) -> None:
    number = whole_number(raw)
    assert number is None or (raw.isascii() and raw.isdigit() and number == int(raw))


def test_it_tells_text_the_database_cannot_hold() -> None:
    assert unstorable("a\x00b") and unstorable("\udc80")
    assert not unstorable("café-1")
