"""Times in stored words: written in one UTC form, found again to show in a reader's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from collector.domain.stored_times import split_stored_times, stored_utc

DUE = datetime(2026, 12, 7, 22, 47, tzinfo=UTC)


def test_it_writes_a_time_in_utc_whatever_zone_it_is_given_in() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert stored_utc(DUE.astimezone(eastern)) == "2026-12-07 22:47 UTC"


def test_it_finds_each_time_it_wrote_between_the_words() -> None:
    words = (
        f"tier a → b; response due {stored_utc(DUE)} (was {stored_utc(DUE - timedelta(hours=1))})"
    )
    assert split_stored_times(words) == [
        "tier a → b; response due ",
        DUE,
        " (was ",
        DUE - timedelta(hours=1),
        ")",
    ]


def test_it_leaves_words_without_a_real_utc_time_as_they_are() -> None:
    for words in [
        "",
        "no target",
        "due 2026-13-40 25:99 UTC",
        "at 22:47 UTC",
        "12026-12-07 22:47 UTC",
    ]:
        assert split_stored_times(words) == ([words] if words else [])
