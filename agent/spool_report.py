"""What every report tells the collector about the agent's own delivery: the ``spool`` probe
entry (what is waiting, what was lost or set aside since the previous report, the running
totals) and the events announcing reports dropped or set aside since the previous report."""

from __future__ import annotations

from typing import Any

from agent.dead_letter import DeadLetters
from agent.probes.base import ProbeEntry, entry
from agent.protocol import SPOOL_DROPPED, dead_lettered_event
from agent.spool import AgentState, Spool


def spool_entry(spool: Spool, state: AgentState, dead_letters: DeadLetters) -> ProbeEntry:
    """A warning when anything was dropped or set aside since the previous report."""
    age = spool.oldest_age_s()
    metrics: dict[str, Any] = {
        "depth": len(spool),
        "bytes": spool.total_bytes,
        "oldest_age_s": None if age is None else round(age, 1),
        "dropped": state.dropped,
        "dead_lettered": state.dead_lettered,
        **{f"{name}_total": count for name, count in state.totals.items()},
    }
    problems = []
    if state.dropped:
        problems.append(
            f"{state.dropped} undelivered reports dropped (spool size or age limit, or unreadable)"
        )
    if state.dead_lettered:
        problems.append(
            f"{state.dead_lettered} reports refused by the collector, "
            f"set aside in {dead_letters.directory}"
        )
    if problems:
        return entry("warning", metrics, "; ".join(problems))
    return entry("ok", metrics)


def spool_events(state: AgentState, dead_letters: DeadLetters) -> list[dict[str, Any]]:
    """The announcements owed since the previous report (none, usually)."""
    events: list[dict[str, Any]] = []
    if state.dropped:
        events.append({"kind": SPOOL_DROPPED, "count": state.dropped})
    if state.dead_lettered:
        folder = str(dead_letters.directory)
        latest = dead_letters.latest()
        if latest is None:  # removed by hand since: the count is still true
            events.append(dead_lettered_event(state.dead_lettered, 0, None, "", folder))
        else:
            events.append(
                dead_lettered_event(
                    state.dead_lettered, latest.seq, latest.status, latest.reason, folder
                )
            )
    return events
