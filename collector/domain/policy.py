"""Thresholds and policies of the fault engine, as frozen dataclasses with sensible defaults.

Everything here is plain data: the collector's configuration builds these (``from_json`` takes a
partial dict and keeps the defaults for what it leaves out) and hands them to the pure engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

HOUR_S = 3600.0


class Status(StrEnum):
    """What one observation of a check says."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"  # the check could not be made (a probe error)


class Severity(StrEnum):
    """How bad a fault is; ordering by ``rank`` decides escalation."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.MINOR: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}


def to_iso(moment: datetime) -> str:
    """Full-precision UTC ISO 8601, so ``from_iso(to_iso(t)) == t`` for every state."""
    return moment.astimezone(UTC).isoformat()


def from_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text!r}")
    return moment.astimezone(UTC)


def opt_iso(moment: datetime | None) -> str | None:
    return None if moment is None else to_iso(moment)


def opt_from_iso(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


def _with_overrides(instance: Any, data: Mapping[str, Any]) -> Any:
    """``replace`` with the keys of ``data``, refusing unknown ones so typos fail loudly."""
    known = {f.name for f in fields(instance)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown {type(instance).__name__} fields: {sorted(unknown)}")
    return replace(instance, **data)


@dataclass(frozen=True)
class Levels:
    """Warning and critical thresholds on a value, with hysteresis on the way back.

    A breached level clears only when the value falls ``hysteresis`` past the threshold, so a
    disk hovering at 85 % does not open and resolve a fault on every report.
    """

    warning: float
    critical: float
    hysteresis: float = 0.0
    higher_is_worse: bool = True

    def classify(self, value: float, previous: Status | None = None) -> Status:
        if self._breached(value, self.critical, previous is Status.CRITICAL):
            return Status.CRITICAL
        if self._breached(value, self.warning, previous in (Status.WARNING, Status.CRITICAL)):
            return Status.WARNING
        return Status.OK

    def _breached(self, value: float, threshold: float, was_breached: bool) -> bool:
        margin = self.hysteresis if was_breached else 0.0
        if self.higher_is_worse:
            return value >= threshold - margin
        return value <= threshold + margin

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], base: Levels | None = None) -> Levels:
        if base is None:
            return cls(**data)
        return _with_overrides(base, data)


@dataclass(frozen=True)
class Thresholds:
    """The value thresholds the report and probe rules classify with."""

    disk: Levels = Levels(85.0, 95.0, 5.0)
    inodes: Levels = Levels(85.0, 95.0, 5.0)
    # Days left on a TLS certificate: 14 or fewer is a warning, 3 or fewer critical (as the
    # HTTP probe judges it); an expired one fails the probe's connection outright.
    cert_days: Levels = Levels(14.0, 3.0, 0.0, higher_is_worse=False)
    heartbeat_missed_intervals: int = 3

    def to_json(self) -> dict[str, Any]:
        return {
            "disk": self.disk.to_json(),
            "inodes": self.inodes.to_json(),
            "cert_days": self.cert_days.to_json(),
            "heartbeat_missed_intervals": self.heartbeat_missed_intervals,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Thresholds:
        default = cls()
        levels = {
            name: Levels.from_json(data[name], getattr(default, name))
            for name in ("disk", "inodes", "cert_days")
            if name in data
        }
        rest = {k: v for k, v in data.items() if k not in levels}
        return _with_overrides(default, {**rest, **levels})


@dataclass(frozen=True)
class CheckPolicy:
    """How one check's observations become a fault.

    A fault is raised after ``raise_after`` consecutive non-ok observations, or once the check
    has been non-ok for ``raise_for_s`` seconds, whichever is configured and comes first; a
    critical observation needs only ``raise_after_critical`` in a row when that is set. It
    recovers after ``recover_after`` consecutive oks. ``flap_changes`` status changes within
    ``flap_window_s`` make the check flapping until it has been quiet for a whole window.
    Durations are judged when an observation arrives, so checks need regular observations.
    """

    raise_after: int | None = 2
    raise_for_s: float | None = None
    raise_after_critical: int | None = None
    recover_after: int = 2
    flap_window_s: float = 0.5 * HOUR_S
    flap_changes: int = 6
    warning_severity: Severity = Severity.MAJOR
    critical_severity: Severity = Severity.CRITICAL
    unknown_severity: Severity = Severity.MINOR

    def __post_init__(self) -> None:
        if self.raise_after is None and self.raise_for_s is None:
            raise ValueError("a check policy needs raise_after, raise_for_s or both")
        if self.raise_after is not None and self.raise_after < 1:
            raise ValueError("raise_after must be at least 1")
        if self.raise_after_critical is not None and self.raise_after_critical < 1:
            raise ValueError("raise_after_critical must be at least 1")
        if self.recover_after < 1:
            raise ValueError("recover_after must be at least 1")
        if self.flap_changes < 2:
            raise ValueError("flap_changes must be at least 2")

    def severity_for(self, status: Status) -> Severity | None:
        return {
            Status.OK: None,
            Status.WARNING: self.warning_severity,
            Status.CRITICAL: self.critical_severity,
            Status.UNKNOWN: self.unknown_severity,
        }[status]

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v.value if isinstance(v, Severity) else v for k, v in data.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], base: CheckPolicy | None = None) -> CheckPolicy:
        converted = {k: Severity(v) if k.endswith("_severity") else v for k, v in data.items()}
        return _with_overrides(base or cls(), converted)


_QUICK = CheckPolicy(raise_after=1, recover_after=1)
#: What the agent reads on the host itself, from the kernel and systemd: a process that is not
#: running, a unit that is not active, a port nobody listens on. A critical reading of those is
#: a fact, not a probe that may have met a bad network, so one raises the fault (the opening
#: mail goes within seconds of the report); a warning (a unit restarted since the last report)
#: still needs two in a row, and so does recovery, so a single restart opens nothing and a
#: service coming and going settles as flapping. Whatever crosses a network or asks a daemon
#: that may be busy (remote checks, AMI, trunk registrations and qualifies, SIP OPTIONS, the
#: agent's probes erroring) keeps the default debounce of two.
_LOCAL_FACT = CheckPolicy(raise_after_critical=1, critical_severity=Severity.MAJOR)

#: Per check-family policies, matched by check-key prefix (the longest prefix wins).
#: A heartbeat observation already means "silent for 3 intervals" and a disk level already has
#: hysteresis, so both raise and recover on one observation.
DEFAULT_OVERRIDES: tuple[tuple[str, CheckPolicy], ...] = (
    # Agent silent alone is "agent dead"; with remote access down it becomes a critical host down.
    ("agent.heartbeat", replace(_QUICK, critical_severity=Severity.MAJOR)),
    ("disk:", replace(_QUICK, warning_severity=Severity.MINOR, critical_severity=Severity.MAJOR)),
    ("inodes:", replace(_QUICK, warning_severity=Severity.MINOR, critical_severity=Severity.MAJOR)),
    ("service:", _LOCAL_FACT),
    ("unit:", _LOCAL_FACT),
    ("port:", _LOCAL_FACT),
    # A phone that is switched off is worth knowing about, not waking anyone for.
    (
        "asterisk.endpoint:",
        CheckPolicy(warning_severity=Severity.MINOR, critical_severity=Severity.MAJOR),
    ),
    ("remote.", CheckPolicy(warning_severity=Severity.MINOR)),
    # An SNMP alarm trap is the PBX's own verdict, and a poll confirms it: act on one reading.
    ("snmp.", _QUICK),
    ("cert.", replace(_QUICK, warning_severity=Severity.MINOR, critical_severity=Severity.MAJOR)),
)


#: Check keys whose policy a ``PolicyBook`` keeps found: more than a fleet has.
_FOUND_KEPT = 65_536


@dataclass(frozen=True)
class PolicyBook:
    """Which ``CheckPolicy`` applies to a check key."""

    default: CheckPolicy = CheckPolicy()
    overrides: tuple[tuple[str, CheckPolicy], ...] = DEFAULT_OVERRIDES
    #: check key → its policy, as found: the book is immutable, so an answer never changes.
    #: Every check of every report asks (a prefix scan), and a book serves many runs.
    _found: dict[str, CheckPolicy] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def for_check(self, check_key: str) -> CheckPolicy:
        found = self._found.get(check_key)
        if found is None:
            if len(self._found) >= _FOUND_KEPT:  # keys of checks long deleted, say
                self._found.clear()
            found = self._found[check_key] = self._scan(check_key)
        return found

    def _scan(self, check_key: str) -> CheckPolicy:
        matches = [(len(p), policy) for p, policy in self.overrides if check_key.startswith(p)]
        return max(matches, key=lambda match: match[0])[1] if matches else self.default

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyBook:
        """``{"default": {...}, "checks": {prefix: {...}}}``; prefixes merge over the defaults."""
        default = CheckPolicy.from_json(data.get("default", {}))
        merged = dict(DEFAULT_OVERRIDES)
        for prefix, overrides in data.get("checks", {}).items():
            merged[prefix] = CheckPolicy.from_json(overrides, merged.get(prefix, default))
        return cls(default, tuple(merged.items()))


@dataclass(frozen=True)
class NotificationPolicy:
    """When mail goes out beyond the fault changes themselves."""

    reminder_interval_s: float = 4 * HOUR_S

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NotificationPolicy:
        return _with_overrides(cls(), data)
