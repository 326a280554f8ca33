"""``faultdesk-collector calendar announce|list|withdraw`` through the CLI, on SQLite."""

from __future__ import annotations

import pytest

from tests.support.cli import Cli


@pytest.fixture
def calendar(cli: Cli) -> Cli:
    return cli.under("calendar")


def test_it_announces_lists_and_withdraws_a_day(calendar: Cli) -> None:
    code, out, err = calendar(
        "announce", "uk-office", "2026-12-24", "--hours", "09:00-12:00",
        "--reason", "Christmas Eve", "--by", "alice",
    )  # fmt: skip
    assert code == 0, err
    assert out == "Announcement #1: Thu 24 Dec 2026 open 09:00-12:00 on uk-office: Christmas Eve\n"
    code, out, _ = calendar("list")
    assert "uk-office  2026-12-24  09:00-12:00  Christmas Eve  alice  in force" in out
    assert calendar("withdraw", "1", "--by", "bob").code == 0
    assert "withdrawn by bob" in calendar("list", "--all").out
    code, _, err = calendar("withdraw", "1", "--by", "bob")
    assert code == 2 and "already withdrawn" in err


def test_it_refuses_an_unknown_calendar_naming_the_known_ones(calendar: Cli) -> None:
    code, out, err = calendar("announce", "moon", "2026-12-24", "--reason", "x", "--by", "alice")
    assert (code, out) == (2, "")
    assert "unknown calendar 'moon'; one of" in err and "uk-office" in err


def test_it_refuses_a_day_already_past(calendar: Cli) -> None:
    code, out, err = calendar("announce", "uk-office", "2020-01-01", "--reason", "x", "--by", "a")
    assert (code, out) == (2, "")
    assert "day 2020-01-01 is already past on uk-office" in err
