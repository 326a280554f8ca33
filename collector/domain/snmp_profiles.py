"""What an SNMP-speaking system's traps and poll answers mean, as data.

A profile maps one family's notifications and objects to Faultdesk's terms:

    alarm trap ─(level varbind, value → level)─▶ the host's ``snmp.alarm:<label>`` check
    event trap ─────────────────────────────────▶ an event on the host's timeline
    restart trap ───────────────────────────────▶ an event, and the ``snmp.restart`` fault
    poll (GET level, WALK category table) ──────▶ the alarm check again: a lost trap is corrected

Mitel's 3300 ICP / MiVoice Business ships built in (``MITEL_3300``); other models are the same
structure read from the collector's configuration. Pure: values in, readings out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from collector.domain.policy import Severity, Status
from collector.domain.watches import Observation

ALARM = "snmp.alarm"
RESTART = "snmp.restart"
REACHABILITY = "remote.snmp"
#: The levels an alarm can be in; "ok" is no alarm.
LEVELS = ("ok", "minor", "major", "critical")
SYS_DESCR = "1.3.6.1.2.1.1.1.0"

_LEVEL_STATUS = {
    "ok": (Status.OK, None),
    "minor": (Status.WARNING, Severity.MINOR),
    "major": (Status.WARNING, Severity.MAJOR),
    "critical": (Status.CRITICAL, Severity.CRITICAL),
}


@dataclass(frozen=True)
class AlarmTrap:
    """A notification that carries the system's alarm level."""

    notification: str
    level: str  # the varbind (object) carrying the level
    values: Mapping[int, str]  # its value → ok, minor, major or critical
    detail: str | None = None  # the varbind naming the problem, if any


@dataclass(frozen=True)
class EventTrap:
    """A notification worth a line on the host's timeline; a restart also raises a fault."""

    notification: str
    text: str
    restart: bool = False
    detail: str | None = None  # a varbind whose value is added to the text


@dataclass(frozen=True)
class AlarmPoll:
    """The objects a poll reads: the level (GET) and the table of categories in alarm (WALK)."""

    level: str  # a scalar instance, e.g. ``...2.2.1.0``
    values: Mapping[int, str]
    count: str | None = None  # how many categories are in alarm
    table_name: str | None = None  # column naming each category
    table_level: str | None = None  # column with each category's level


@dataclass(frozen=True)
class Profile:
    name: str
    label: str  # what the alarm check is called on the host page: "Mitel alarm level"
    alarms: tuple[AlarmTrap, ...] = ()
    events: tuple[EventTrap, ...] = ()
    poll: AlarmPoll | None = None
    #: How long the "PBX restarted" fault stays open after a restart trap.
    restart_fault_s: float = 900.0

    @property
    def alarm_key(self) -> str:
        """The alarm check's key, named by the label so faults read "Mitel alarm level"."""
        return f"{ALARM}:{self.label}"

    def event_for(self, notification: str) -> EventTrap | None:
        return next((e for e in self.events if e.notification == notification), None)

    def alarm_for(self, notification: str) -> AlarmTrap | None:
        return next((a for a in self.alarms if a.notification == notification), None)


_MITEL = "1.3.6.1.4.1.1027"
_MITEL_LEVELS = {1: "ok", 2: "minor", 3: "major", 4: "critical"}  # almClear .. almCritical

#: Mitel 3300 ICP / MiVoice Business (MITEL-IPERA3000-MIB / MITEL-MIB).
MITEL_3300 = Profile(
    name="mitel-3300",
    label="Mitel alarm level",
    alarms=(
        # mitelIpera3000NotifAlarm, carrying mitelIpera3000AlmLevel
        AlarmTrap(f"{_MITEL}.1.2.3.0.301", f"{_MITEL}.4.1.1.2.2.1", _MITEL_LEVELS),
    ),
    events=(
        # mitelIpera3000ShutdownAlarm (with its shutdown cause), RestartCompleteAlarm
        EventTrap(f"{_MITEL}.1.2.3.0.302", "PBX shutting down", restart=True),
        EventTrap(f"{_MITEL}.1.2.3.0.303", "PBX restart complete", restart=True),
        # resilience: failover to the secondary, failback, and a change of the active side
        EventTrap(f"{_MITEL}.1.2.3.0.501", "resilience: failed over to the secondary"),
        EventTrap(f"{_MITEL}.1.2.3.0.502", "resilience: returned to the primary"),
        EventTrap(f"{_MITEL}.1.2.3.0.503", "resilience: state changed"),
    ),
    poll=AlarmPoll(
        level=f"{_MITEL}.4.1.1.2.2.1.0",  # mitelIpera3000AlmLevel.0
        values=_MITEL_LEVELS,
        count=f"{_MITEL}.4.1.1.2.2.3.0",  # mitelIpera3000AlmNbrCategories.0
        table_name=f"{_MITEL}.4.1.1.2.2.4.1.8",  # mitelIpera3000CategoryTable: name
        table_level=f"{_MITEL}.4.1.1.2.2.4.1.4",  # ... and level
    ),
)

BUILT_IN: dict[str, Profile] = {MITEL_3300.name: MITEL_3300}


@dataclass(frozen=True)
class Reading:
    """A trap or a poll, understood: observations for the fault engine, events for the timeline."""

    observations: list[Observation] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)
    level: str | None = None
    restarted: bool = False


def object_value(varbinds: Mapping[str, Any], oid: str | None) -> Any:
    """The value of ``oid`` or of its first instance (``oid.0``, ``oid.1.2``) in the varbinds."""
    if oid is None:
        return None
    if oid in varbinds:
        return varbinds[oid]
    prefix = oid + "."
    return next((v for k, v in varbinds.items() if k.startswith(prefix)), None)


def level_of(values: Mapping[int, str], raw: Any) -> str | None:
    try:
        return values.get(int(raw))
    except (TypeError, ValueError):
        return None


def alarm_observation(
    profile: Profile,
    level: str,
    at: datetime,
    categories: list[dict[str, str]] | None = None,
    note: str = "",
) -> Observation:
    """The alarm check's reading: the level, with the categories in alarm as its detail."""
    status, severity = _LEVEL_STATUS[level]
    detail = f"{profile.label}: {level}"
    if categories:
        named = ", ".join(f"{c['name']} ({c['level']})" for c in categories)
        detail += f"; in alarm: {named}"
    elif note:
        detail += f"; {note}"
    value = float(LEVELS.index(level))
    return Observation(profile.alarm_key, at, status, value, detail, severity)


def read_trap(
    profile: Profile, notification: str, varbinds: Mapping[str, Any], at: datetime
) -> Reading:
    """What a received notification (or a storm of identical ones) means for the host."""
    alarm = profile.alarm_for(notification)
    if alarm is not None:
        level = level_of(alarm.values, object_value(varbinds, alarm.level))
        if level is None:
            return Reading(events=[("trap", f"alarm trap with no known level ({notification})")])
        note = _text(object_value(varbinds, alarm.detail))
        return Reading([alarm_observation(profile, level, at, note=note)], level=level)
    event = profile.event_for(notification)
    if event is None:
        return Reading(events=[("trap", f"notification {notification}")])
    text = event.text
    extra = _text(object_value(varbinds, event.detail))
    if extra:
        text += f": {extra}"
    if not event.restart:
        return Reading(events=[("event", text)])
    restart = Observation(RESTART, at, Status.WARNING, None, text, Severity.MAJOR)
    return Reading([restart], events=[("restart", text)], restarted=True)


def restart_settled(
    profile: Profile, restarted_at: datetime | None, now: datetime
) -> Observation | None:
    """The ``snmp.restart`` check clears itself ``restart_fault_s`` after the last restart."""
    if restarted_at is None or (now - restarted_at).total_seconds() < profile.restart_fault_s:
        return None
    return Observation(RESTART, now, Status.OK, None, "no restart lately")


def reachability(answered: bool, detail: str, at: datetime) -> Observation:
    status = Status.OK if answered else Status.CRITICAL
    return Observation(REACHABILITY, at, status, None, detail)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def default_checks(kind: str, address: str) -> list[tuple[str, str, str]]:
    """The remote checks (kind, name, target) a host of ``kind`` gets on creation.

    A Mitel's access from the vendor's side, as root SSH and HTTP are for an Asterisk: its
    System Administration Tool (and ESM) over HTTPS. The SNMP poll runs for every SNMP host;
    SSH, where the customer enables it, is a check added by hand."""
    if kind != "mitel":
        return []
    host = f"[{address}]" if ":" in address else address
    return [("http", "admin", f"https://{host}/")]
