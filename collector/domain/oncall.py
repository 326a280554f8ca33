"""The on-call rota: who is on call at a moment, and who is paged next when they do not answer.

A rotation hands over once a week at a local weekday and wall-clock time in its own zone, so
the handover stays at 09:00 local across daylight-saving changes (the shift that spans one is
an hour shorter or longer). ``starts_on`` anchors the cycle: the first person's shift starts at
that date's handover, the second's a week later, and so on round the list, in both directions
of time.

The escalation chain starts with the person on call. After them come the rest of the rotation
in order, wrapping round (on call: bob of alice, bob, carol → bob, carol, alice), unless an
explicit escalation order is given (a team lead first, say); then the person on call is followed
by that list, without repeating them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from collector.domain.calendar import local_to_utc, require_aware

PagerKind = Literal["email", "webhook"]
_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Pager:
    """Where a page goes: an email-to-SMS gateway address, or a URL that is POSTed JSON."""

    kind: PagerKind
    address: str

    @property
    def target(self) -> str:
        """The address as a URL, as recorded on each page (``mailto:`` for email)."""
        return f"mailto:{self.address}" if self.kind == "email" else self.address


@dataclass(frozen=True)
class Person:
    name: str
    #: The person's own IANA zone: their pages quote times on their clock.
    zone: str
    pager: Pager


@dataclass(frozen=True)
class Rotation:
    """A weekly rotation through ``order``, handing over at ``handover_time`` local."""

    zone: str
    handover_day: int  # Monday is 0
    handover_time: time
    starts_on: date
    order: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.order:
            raise ValueError("a rotation needs at least one person")
        if len(set(self.order)) != len(self.order):
            raise ValueError("a rotation names each person once")
        if not 0 <= self.handover_day <= 6:
            raise ValueError("the handover day is 0 (Monday) to 6 (Sunday)")
        if self.starts_on.weekday() != self.handover_day:
            raise ValueError(f"the rotation starts on {self.starts_on}, not a handover day")

    def handover_at(self, day: date) -> datetime:
        """The UTC instant of the handover on a local date (DST gaps as in calendars)."""
        wall = datetime.combine(day, self.handover_time)
        return local_to_utc(wall, ZoneInfo(self.zone))

    def shift_starting(self, moment: datetime) -> date:
        """The local date of the latest handover at or before ``moment``."""
        moment = require_aware(moment, "moment")
        local = moment.astimezone(ZoneInfo(self.zone))
        day = local.date() - timedelta(days=(local.weekday() - self.handover_day) % 7)
        if self.handover_at(day) > moment:
            day -= _WEEK
        return day

    def on_call(self, moment: datetime) -> str:
        weeks = (self.shift_starting(moment) - self.starts_on).days // 7
        return self.order[weeks % len(self.order)]


@dataclass(frozen=True)
class Shift:
    """One person's week on call, from handover to handover (UTC)."""

    starts_at: datetime
    ends_at: datetime
    person: Person


@dataclass(frozen=True)
class OnCallRota:
    people: Mapping[str, Person] = field(default_factory=lambda: MappingProxyType({}))
    rotation: Rotation | None = None
    #: Who is paged after the person on call; None: the rest of the rotation, in order.
    escalation: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        named = set(self.rotation.order if self.rotation else ()) | set(self.escalation or ())
        unknown = sorted(named - set(self.people))
        if unknown:
            raise ValueError(f"the rota names people it does not define: {', '.join(unknown)}")

    def on_call_at(self, moment: datetime) -> Person | None:
        """The person on call at ``moment``; None when no rotation is configured."""
        if self.rotation is None:
            return None
        return self.people[self.rotation.on_call(moment)]

    def shifts_from(self, moment: datetime, count: int) -> list[Shift]:
        """The shift under way at ``moment`` and the ``count - 1`` after it; none without a
        rotation."""
        rotation = self.rotation
        if rotation is None:
            return []
        first = rotation.shift_starting(moment)
        found = []
        for week in range(count):
            starts = rotation.handover_at(first + week * _WEEK)
            ends = rotation.handover_at(first + (week + 1) * _WEEK)
            found.append(Shift(starts, ends, self.people[rotation.on_call(starts)]))
        return found

    def escalation_chain(self, moment: datetime) -> tuple[Person, ...]:
        """Everyone to page for something that happened at ``moment``, in order."""
        first = self.on_call_at(moment)
        if first is None or self.rotation is None:
            return ()
        if self.escalation is not None:
            rest = tuple(name for name in self.escalation if name != first.name)
        else:
            order = self.rotation.order
            at = order.index(first.name)
            rest = order[at + 1 :] + order[:at]
        return (first, *(self.people[name] for name in rest))
