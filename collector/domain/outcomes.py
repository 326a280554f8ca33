"""Whether a target was met: the outcome a finished target shows instead of a clock."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    MET = "met"
    BREACHED = "breached"


def target_outcome(
    due: datetime | None,
    met_at: datetime | None,
    ended_at: datetime | None,
    now: datetime | None = None,
) -> Outcome | None:
    """A target's outcome, the one every page, mail and API shows: met when its step (or, with
    none, the end of the incident, as when its fault cleared before any response) came by the
    due time; breached when it came later, or nothing came and ``now`` is past the due time.
    None: no target, or it can still be met (without ``now``: still running)."""
    if due is None:
        return None
    done = met_at or ended_at
    if done is not None:
        return Outcome.MET if done <= due else Outcome.BREACHED
    return Outcome.BREACHED if now is not None and now > due else None


def late_by(due: datetime, done: datetime) -> str:
    """``"2 h 5 min"``: how late ``done`` came after ``due`` (zero or more)."""
    minutes = max(0, int((done - due).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
