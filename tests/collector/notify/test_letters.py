"""A letter's plain-text part: its facts read as a table, whatever their labels."""

from __future__ import annotations

from collector.notify.letters import Letter, plain_text


def _letter(*facts: tuple[str, str]) -> Letter:
    return Letter("FAULT: x", "FAULT", "x", "bad", ("Avon has found a fault.",), facts)


def test_the_facts_values_start_in_one_column_past_the_longest_label() -> None:
    text = plain_text(_letter(("Reference", "INC-2026-0001"), ("Host", "pbx1"), ("Due", "soon")))
    assert "Reference: INC-2026-0001\nHost:      pbx1\nDue:       soon\n" in text


def test_short_labels_take_no_more_room_than_they_need() -> None:
    assert "Host: pbx1\nDue:  soon\n" in plain_text(_letter(("Host", "pbx1"), ("Due", "soon")))
