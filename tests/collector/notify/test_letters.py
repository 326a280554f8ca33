"""A letter's plain-text part: its facts read as a table, whatever their labels."""

from __future__ import annotations

from collections.abc import Callable

from collector.notify.letters import Letter, plain_text


def _letter(*facts: tuple[str, str]) -> Letter:
    return Letter("FAULT: x", "FAULT", "x", "bad", ("Avon has found a fault.",), facts)


def test_the_facts_values_start_in_one_column_past_the_longest_label() -> None:
    text = plain_text(_letter(("Reference", "INC-2026-0001"), ("Host", "pbx1"), ("Due", "soon")))
    assert "Reference: INC-2026-0001\nHost:      pbx1\nDue:       soon\n" in text


def test_short_labels_take_no_more_room_than_they_need() -> None:
    assert "Host: pbx1\nDue:  soon\n" in plain_text(_letter(("Host", "pbx1"), ("Due", "soon")))


def _every_text(value: str) -> Letter:
    """A letter with ``value`` in every text ``one_line`` escapes (the labels are ours)."""
    return Letter(value, "FAULT", value, "bad", (value,), (("Host", value),), (value,), (value,))


def test_one_line_keeps_a_letter_of_printable_text_as_it_is() -> None:
    for value in ("pbx1 <b>&", "Zürich “pbx”", ""):
        letter = _every_text(value)
        assert letter.one_line() == letter


def test_one_line_escapes_a_control_character_in_any_one_of_its_texts() -> None:
    broken, escaped = "pbx1\r\nBcc: x\u202e", "pbx1\\r\\nBcc: x\\u202e"
    shapes: list[Callable[[str], Letter]] = [
        lambda v: Letter(v, "FAULT", "pbx1", "bad", ("pbx1",), (("Host", "pbx1"),)),
        lambda v: Letter("pbx1", "FAULT", v, "bad", ("pbx1",), (("Host", "pbx1"),)),
        lambda v: Letter("pbx1", "FAULT", "pbx1", "bad", ("ok", v), (("Host", "pbx1"),)),
        lambda v: Letter("pbx1", "FAULT", "pbx1", "bad", (), (("Host", "pbx1"), ("Process", v))),
        lambda v: Letter("pbx1", "FAULT", "pbx1", "bad", (), (), ("é", v)),
        lambda v: Letter("pbx1", "FAULT", "pbx1", "bad", (), (), (), (v,)),
        _every_text,
    ]
    for shape in shapes:
        assert shape(broken).one_line() == shape(escaped)
