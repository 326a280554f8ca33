"""Restarts and reloads of Asterisk, seen as changes between two samples.

A restart or a reload is over by the next cycle, so no single sample shows it as a problem;
comparing the start and reload times of consecutive samples is what reveals it.
"""

from __future__ import annotations

from typing import Any

from agent.probes.asterisk.rows import Metrics


def detect_events(previous: Metrics | None, current: Metrics) -> list[dict[str, Any]]:
    """Restart and reload events from two consecutive samples' metrics.

    Pass the last metrics that carried a ``startup_at`` as ``previous``: a cycle where AMI was
    down has none, and comparing against it would hide a restart made during the outage. A
    restart also moves the reload time, so it is reported once, as a restart.
    """
    if not previous:
        return []
    old_start, new_start = previous.get("startup_at"), current.get("startup_at")
    if old_start and new_start and old_start != new_start:
        detail = f"Asterisk restarted at {new_start} (it had been up since {old_start})"
        return [{"kind": "asterisk_restart", "at": new_start, "detail": detail}]
    old_reload, new_reload = previous.get("reload_at"), current.get("reload_at")
    if old_reload and new_reload and old_reload != new_reload:
        detail = f"Asterisk configuration reloaded at {new_reload} (previous reload {old_reload})"
        return [{"kind": "asterisk_reload", "at": new_reload, "detail": detail}]
    return []
