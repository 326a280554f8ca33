"""Calendar maths kept for inputs seen before gives what working it out again gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.config.tiers import catalogue_for
from collector.domain.calendar import Pause
from collector.domain.sla import alert_times, target_clocks
from collector.engine.clock_memo import alerts_of, clocks_of

# Friday 30 October 2026, 16:00 UTC: a business-hours clock runs into the weekend.
FRIDAY = datetime(2026, 10, 30, 16, 0, tzinfo=UTC)


def test_kept_clocks_and_alerts_are_those_worked_out_afresh_and_callers_get_their_own() -> None:
    tier = catalogue_for(None)["priority-uk"]
    pauses = (Pause(FRIDAY, FRIDAY + timedelta(minutes=20), "waiting on the customer"),)
    for _ in range(2):
        kept = clocks_of(
            tier, "major", FRIDAY, pauses, onsite_requested_at=None, failure_confirmed_at=None,
            region="GB-ENG", local_zone=None,
        )  # fmt: skip
        assert kept == target_clocks(tier, "major", FRIDAY, pauses=pauses, region="GB-ENG")
        kept.clear()
    clock = target_clocks(tier, "major", FRIDAY, pauses=pauses)["first_response"]
    times = alert_times(clock.calendar, FRIDAY, clock.due, fraction=0.5, pauses=pauses)
    for _ in range(2):
        assert alerts_of(clock.calendar, FRIDAY, clock.due, fraction=0.5, pauses=pauses) == times
