"""A storm of new problems from one report becomes one observation that lists them."""

from __future__ import annotations

from datetime import UTC, datetime

from collector.domain.policy import Status
from collector.domain.storms import MANY_PROBLEMS, calm
from collector.domain.watches import Observation, WatchState

AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def stopped(count: int) -> list[Observation]:
    return [
        Observation(f"service:p{n}", AT, Status.CRITICAL, None, f"process p{n} not running")
        for n in range(count)
    ]


def test_it_leaves_a_few_new_problems_alone() -> None:
    found = [*stopped(3), Observation("disk:/", AT, Status.OK, 10.0)]
    assert calm(found, {}, limit=3) == found


def test_it_folds_more_new_problems_than_the_limit_into_one() -> None:
    ok = Observation("disk:/", AT, Status.OK, 10.0)
    result = calm([*stopped(60), ok], {}, limit=20)
    assert [o.check_key for o in result] == ["disk:/", MANY_PROBLEMS]
    storm = result[1]
    assert storm.status is Status.CRITICAL and storm.value == 60
    assert storm.detail.startswith("60 problems at once: process p0 not running;")
    assert storm.detail.endswith("and 10 more")


def test_it_keeps_problems_that_were_failing_already_as_they_are() -> None:
    previous = {"service:p0": WatchState("service:p0", status=Status.CRITICAL)}
    result = calm(stopped(30), previous, limit=20)
    assert [o.check_key for o in result] == ["service:p0", MANY_PROBLEMS]
    assert result[1].value == 29


def test_it_clears_the_storm_once_few_new_problems_remain() -> None:
    previous = {MANY_PROBLEMS: WatchState(MANY_PROBLEMS, status=Status.CRITICAL)}
    result = calm(stopped(2), previous, limit=20)
    assert result[-1].check_key == MANY_PROBLEMS and result[-1].status is Status.OK
    assert len(result) == 3
