"""The ``oncall:`` section of the collector configuration: people, pagers, the rotation.

Validated like the rest of the file (a bad zone, an unknown person or a pager with both or
neither address is refused at start, naming the field); ``OnCallSettings.rota()`` turns it into
the pure ``collector.domain.oncall.OnCallRota``.
"""

from __future__ import annotations

import re
from datetime import date, time
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from collector.domain.oncall import OnCallRota, Pager, Person, Rotation

#: The pagers of the example rota in config/collector.example.yaml: nobody answers them, so a
#: configuration still holding one would page no one while looking set up.
EXAMPLE_PAGERS = frozenset(
    {
        "15550100001@sms.carrier.example",
        "https://pager.example.net/hooks/faultdesk",
        "15550100003@sms.carrier.example",
    }
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone, e.g. Europe/London") from None
    return value


class PagerSettings(_Strict):
    #: An email-to-SMS gateway address (the carrier's ``number@sms.example`` form).
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+$")
    #: A URL that is POSTed a JSON description of each page.
    webhook: str | None = Field(None, pattern=r"^https?://\S+$", max_length=400)

    @model_validator(mode="after")
    def _exactly_one(self) -> PagerSettings:
        if (self.email is None) == (self.webhook is None):
            raise ValueError("give a pager exactly one of email or webhook")
        return self

    def pager(self) -> Pager:
        if self.email is not None:
            return Pager("email", self.email)
        return Pager("webhook", str(self.webhook))


class PersonSettings(_Strict):
    name: str = Field(pattern=_NAME)
    timezone: str = "UTC"
    pager: PagerSettings

    _check_zone = field_validator("timezone")(_zone)


class RotationSettings(_Strict):
    #: The zone the handover time is read in.
    zone: str = "UTC"
    handover_day: str = "monday"
    handover_time: time = time(9, 0)
    #: A handover day: the first person's shift starts at that day's handover.
    starts_on: date
    people: list[str] = Field(min_length=1)

    _check_zone = field_validator("zone")(_zone)

    @field_validator("handover_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        found = [day for day in WEEKDAYS if day.startswith(value.lower()) and len(value) >= 3]
        if len(found) != 1:
            raise ValueError(f"{value!r} is not a weekday (monday ... sunday)")
        return found[0]

    @field_validator("handover_time", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> time:
        match = _CLOCK.match(value) if isinstance(value, str) else None
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError('a time of day like "09:00" (quote it in YAML)')
        return time(int(match[1]), int(match[2]))

    @field_validator("people")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("name each person once")
        return value

    @model_validator(mode="after")
    def _starts_on_a_handover_day(self) -> RotationSettings:
        if WEEKDAYS[self.starts_on.weekday()] != self.handover_day:
            raise ValueError(f"starts_on {self.starts_on} is not a {self.handover_day}")
        return self

    def rotation(self) -> Rotation:
        day = WEEKDAYS.index(self.handover_day)
        return Rotation(self.zone, day, self.handover_time, self.starts_on, tuple(self.people))


class OnCallSettings(_Strict):
    people: list[PersonSettings] = []
    #: None: nobody is paged (incidents on paging tiers are logged as unpaged).
    rotation: RotationSettings | None = None
    #: Who is paged after the person on call; None: the rest of the rotation, in order.
    escalation: list[str] | None = None
    #: How often the collector decides who to page.
    sweep_interval_s: float = Field(30.0, gt=0)
    #: How long the acknowledgement link in a page stays valid.
    page_link_ttl_s: float = Field(24 * 3600.0, gt=0)
    webhook_timeout_s: float = Field(10.0, gt=0)
    #: Tries per webhook page before it is recorded failed (escalation carries on regardless).
    webhook_attempts: int = Field(3, ge=1, le=10)
    #: Wait before the second try; it doubles each time.
    webhook_retry_s: float = Field(2.0, ge=0)

    @field_validator("people")
    @classmethod
    def _unique_names(cls, value: list[PersonSettings]) -> list[PersonSettings]:
        names = [person.name for person in value]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"people are named twice: {', '.join(repeated)}")
        return value

    @field_validator("rotation")
    @classmethod
    def _rotation_people_known(
        cls, value: RotationSettings | None, info: ValidationInfo
    ) -> RotationSettings | None:
        if value is not None:
            _known(value.people, info)
        return value

    @field_validator("escalation")
    @classmethod
    def _escalation_people_known(
        cls, value: list[str] | None, info: ValidationInfo
    ) -> list[str] | None:
        if value is not None:
            _known(value, info)
            if len(set(value)) != len(value):
                raise ValueError("name each person once")
        return value

    @model_validator(mode="after")
    def _not_the_example(self) -> OnCallSettings:
        copied = [
            p.name for p in self.people if (p.pager.email or p.pager.webhook) in EXAMPLE_PAGERS
        ]
        if copied:
            raise ValueError(
                f"the example rota is still here ({', '.join(copied)}, whose pagers nobody "
                "answers): put your engineers and their pagers in oncall.people and "
                "oncall.rotation, or remove both to page no one"
            )
        return self

    def rota(self) -> OnCallRota:
        people = {p.name: Person(p.name, p.timezone, p.pager.pager()) for p in self.people}
        return OnCallRota(
            MappingProxyType(people),
            self.rotation.rotation() if self.rotation else None,
            tuple(self.escalation) if self.escalation is not None else None,
        )


def _known(names: list[str], info: ValidationInfo) -> None:
    """Every name is one of ``people`` (skipped when ``people`` itself was invalid)."""
    people = info.data.get("people")
    if people is None:
        return
    unknown = [name for name in names if name not in {p.name for p in people}]
    if unknown:
        raise ValueError(f"not among oncall.people: {', '.join(unknown)}")
