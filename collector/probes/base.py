"""What every collector-side reachability probe returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """Monitoring-plugin style outcome; the value is the plugin exit code's meaning.

    UNKNOWN is the probe itself failing (a bug, a bad option, an overloaded worker): never
    evidence about the target, so it raises no fault and pauses no clock.
    """

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"

    @property
    def exit_code(self) -> int:
        return {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}[self.value]


@dataclass(frozen=True)
class ProbeResult:
    """One check of one target at one moment."""

    kind: str  # "ssh", "http", "sip", "tcp"
    target: str
    verdict: Verdict
    latency_ms: float | None
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK
