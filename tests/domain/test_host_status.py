"""A host's badge shows the most urgent thing about it; a host with no agent is judged by what
watches it, never by an agent's reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from collector.domain.host_status import host_status, level_of_severity, worst_level

NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seen:
    last_seen_at: datetime | None
    kind: str = "server"
    heartbeat_interval_s: float = 60.0


def _seen(minutes_ago: float | None, kind: str = "server") -> Seen:
    return Seen(None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago), kind)


def test_it_is_ok_when_reporting_without_faults() -> None:
    assert host_status(_seen(1), None, [], NOW, 3).label == "ok"


def test_it_is_silent_after_the_allowed_missed_reports() -> None:
    assert host_status(_seen(3), None, [], NOW, 3).label == "ok"
    status = host_status(_seen(3.5), None, [], NOW, 3)
    assert (status.label, status.level, status.late) == ("silent", "bad", True)


def test_it_ranks_critical_over_silent_over_lesser_faults() -> None:
    assert host_status(_seen(10), None, ["critical"], NOW, 3).label == "critical"
    assert host_status(_seen(10), None, ["major"], NOW, 3).label == "silent"
    status = host_status(_seen(1), None, ["minor", "major"], NOW, 3)
    assert (status.label, status.level, status.open_faults) == ("major", "warn", 2)


def test_it_says_when_a_host_has_never_reported() -> None:
    assert host_status(_seen(None), None, [], NOW, 3).label == "no reports yet"


def test_it_judges_a_host_with_no_agent_by_what_watches_it() -> None:
    mitel = _seen(None, kind="mitel")
    polled = NOW - timedelta(days=2)  # however long ago: its watchers' verdicts are its faults
    status = host_status(mitel, polled, [], NOW, 3)
    assert (status.label, status.level, status.late, status.agentless) == ("ok", "ok", False, True)
    assert host_status(mitel, polled, ["major"], NOW, 3).label == "major"
    assert host_status(mitel, polled, ["critical"], NOW, 3).label == "critical"
    assert host_status(mitel, None, [], NOW, 3).label == "no reports yet"
    assert host_status(mitel, None, ["minor"], NOW, 3).label == "minor"


def test_it_ignores_an_agents_hosts_watchers() -> None:
    assert host_status(_seen(10), NOW, [], NOW, 3).label == "silent"


def test_it_gives_a_customer_its_worst_level() -> None:
    assert worst_level(["ok", "bad", "warn"]) == "bad"
    assert worst_level([]) == "ok"
    assert [level_of_severity(s) for s in ("critical", "minor", None)] == ["bad", "warn", "ok"]
