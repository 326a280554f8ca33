"""Contracts as the customer experiences them: their midnight, their "local time"."""

from __future__ import annotations

from datetime import UTC, date, datetime

from collector.config.tiers import default_catalogue_path, load_catalogue
from collector.domain.contracts import start_of_day_utc
from collector.domain.sla import target_clocks

CATALOGUE = load_catalogue(default_catalogue_path())
# Tuesday 3 November 2026, 19:30 UTC = 14:30 in New York, 11:30 in Los Angeles.
CONFIRMED = datetime(2026, 11, 3, 19, 30, tzinfo=UTC)


def test_it_starts_and_ends_contract_days_at_the_customers_midnight() -> None:
    assert start_of_day_utc(date(2027, 1, 1)) == datetime(2027, 1, 1, tzinfo=UTC)
    new_york = start_of_day_utc(date(2027, 1, 1), "America/New_York")
    assert new_york == datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    assert start_of_day_utc(date(2026, 7, 1), "Europe/London") == datetime(
        2026, 6, 30, 23, 0, tzinfo=UTC
    )


def test_it_reads_the_premier_3pm_cut_off_on_the_customers_clock() -> None:
    def dispatch_due(zone: str | None, region: str = "north_america") -> datetime:
        clocks = target_clocks(
            CATALOGUE["premier"],
            "major",
            CONFIRMED,
            failure_confirmed_at=CONFIRMED,
            region=region,
            local_zone=zone,
        )
        return clocks["parts_dispatch"].due

    same_day = dispatch_due("America/Los_Angeles")  # 11:30 there: before 15:00
    next_day = dispatch_due("Europe/Paris")  # 20:30 there: past 15:00
    assert same_day.date() == date(2026, 11, 3)
    assert next_day.date() == date(2026, 11, 4)
