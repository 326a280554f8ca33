"""Whether a response target was met: the outcome an ended incident shows instead of a clock."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    MET = "met"
    BREACHED = "breached"


def response_outcome(
    due: datetime | None, responded_at: datetime | None, ended_at: datetime | None
) -> Outcome | None:
    """The first-response target's outcome: met when the response (or, with none, the end of
    the incident, as when its fault cleared first) came by the due time; breached when it came
    later, or nothing came and the due time has passed by ``ended_at``. None: no target, or
    still running."""
    if due is None:
        return None
    done = responded_at or ended_at
    if done is None:
        return None
    return Outcome.MET if done <= due else Outcome.BREACHED


def late_by(due: datetime, done: datetime) -> str:
    """``"2 h 5 min"``: how late ``done`` came after ``due`` (zero or more)."""
    minutes = max(0, int((done - due).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
