"""Reports and probe runs into time-series samples, at the moment they were sampled.

A report's samples carry its ``sampled_at``, not its arrival, so reports replayed from an
agent's spool fill the gap they left. Network rates need the host's previous counters:
``CounterMemory`` keeps each host's latest in memory (after a restart, or when another
collector evaluated the previous report, a host's first rate waits one report).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collector.domain.figures import Counters, counters_from_report, figures_from_report, rates
from collector.domain.policy import from_iso
from collector.store.series import Sample


class CounterMemory:
    """Each host's newest counters, read while planning and kept only once applied."""

    def __init__(self, most: int = 100_000) -> None:
        self._latest: dict[str, Counters] = {}
        self._most = most

    def get(self, host_id: str) -> Counters | None:
        return self._latest.get(host_id)

    def keep(self, newest: Mapping[str, Counters]) -> None:
        for host_id, counters in newest.items():
            known = self._latest.get(host_id)
            if known is None and len(self._latest) >= self._most:
                continue
            if known is None or counters.at > known.at:
                self._latest[host_id] = counters


def report_samples(
    host_id: str, body: Mapping[str, Any], before: Counters | None
) -> tuple[list[Sample], Counters | None]:
    """The report's samples, and its counters (None when it has no usable time)."""
    try:
        at = from_iso(str(body.get("sampled_at")))
    except ValueError:
        return [], None
    probes = body.get("probes")
    if not isinstance(probes, Mapping):
        return [], None
    second = int(at.timestamp())
    counters = counters_from_report(probes, at.timestamp())
    found = figures_from_report(probes)
    found.update(rates(before, counters))
    return [Sample(host_id, metric, second, value) for metric, value in found.items()], counters


def probe_metric(kind: str, name: str) -> str:
    """``probe:ssh.latency_ms``, or ``probe:http.portal.latency_ms`` for a named check."""
    return f"probe:{kind}.{name}.latency_ms" if name else f"probe:{kind}.latency_ms"
