"""What the JSON API accepts: request bodies as pydantic models, and query parameters.

Every refusal is a 400 naming the field (``contacts.1.email``, ``open``...), raised before
anything is written.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from collector.api.errors import refuse
from collector.domain.control_characters import refuse_control_characters

#: Ids appear in URLs and mail subjects: letters, digits, dot, dash and underscore.
IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
EMAIL = r"^[^@\s<>]+@[^@\s<>]+$"
#: Names appear in mail subjects and on one line of the dashboard: no line breaks, no tabs.
Name = Annotated[str, AfterValidator(refuse_control_characters)]

Model = TypeVar("Model", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(_Strict):
    name: Name = Field(min_length=1, max_length=200)
    email: str = Field(pattern=EMAIL, max_length=320)


class ContractIn(_Strict):
    tier: str = Field(min_length=1, max_length=64)
    starts_on: date
    ends_on: date | None = None
    ports: int = Field(0, ge=0)

    @field_validator("ends_on")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        starts = info.data.get("starts_on")
        if value is not None and starts is not None and value <= starts:
            raise ValueError("must be after starts_on")
        return value


class NewCustomer(_Strict):
    id: str = Field(min_length=1, max_length=64, pattern=IDENTIFIER)
    name: Name = Field(min_length=1, max_length=200)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)
    #: Left out: the installation month of Cat1 (see ``collector.domain.contracts``).
    contract: ContractIn | None = None

    @field_validator("contacts")
    @classmethod
    def _distinct_emails(cls, value: list[ContactIn]) -> list[ContactIn]:
        emails = [c.email.lower() for c in value]
        if len(set(emails)) != len(emails):
            raise ValueError("each contact needs a different email address")
        return value


class NewHost(_Strict):
    id: str = Field(min_length=1, max_length=128, pattern=IDENTIFIER)
    customer_id: str = Field(min_length=1, max_length=64)
    name: Name | None = Field(None, min_length=1, max_length=200)
    kind: Literal["server", "pbx"] = "server"
    interval_s: float = Field(60.0, gt=0, le=86400)


class Acknowledgement(_Strict):
    comment: str = Field("", max_length=2000)


Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
#: Recurring windows are for routine work; anything longer is a one-off with an end.
LONGEST_OCCURRENCE_S = 7 * 86400


def _recurring(info: ValidationInfo) -> bool | None:
    """Whether the body's window recurs; None when ``frequency`` itself was refused."""
    frequency = info.data.get("frequency")
    return None if frequency is None else frequency != "once"


class NewMaintenanceWindow(_Strict):
    """One-off: ``starts_at`` and ``ends_at``. Recurring (daily, weekly on ``weekdays``):
    ``local_time`` in ``timezone`` for ``duration_s``, between the optional ``starts_at``
    (default now) and ``ends_at``. ``host_id`` narrows a customer's window to one host."""

    customer_id: str = Field(min_length=1, max_length=64)
    host_id: str | None = Field(None, min_length=1, max_length=128)
    frequency: Literal["once", "daily", "weekly"]
    starts_at: AwareDatetime | None = Field(None, validate_default=True)
    ends_at: AwareDatetime | None = Field(None, validate_default=True)
    local_time: time | None = Field(None, validate_default=True)
    timezone: str = Field("UTC", min_length=1, max_length=64)
    weekdays: list[Weekday] = Field(default_factory=list, max_length=7, validate_default=True)
    duration_s: float | None = Field(None, gt=0, le=LONGEST_OCCURRENCE_S, validate_default=True)
    reason: str = Field("", max_length=500)

    @field_validator("starts_at")
    @classmethod
    def _start_for_one_off(cls, value: AwareDatetime | None, info: ValidationInfo) -> object:
        if value is None and _recurring(info) is False:
            raise ValueError("a one-off window needs starts_at")
        return value

    @field_validator("ends_at")
    @classmethod
    def _end_after_start(cls, value: AwareDatetime | None, info: ValidationInfo) -> object:
        if value is None and _recurring(info) is False:
            raise ValueError("a one-off window needs ends_at")
        starts = info.data.get("starts_at")
        if value is not None and starts is not None and value <= starts:
            raise ValueError("must be after starts_at")
        return value

    @field_validator("local_time", "duration_s")
    @classmethod
    def _for_recurring_only(cls, value: object, info: ValidationInfo) -> object:
        recurring = _recurring(info)
        if value is None and recurring:
            raise ValueError(f"a recurring window needs {info.field_name}")
        if isinstance(value, time) and value.tzinfo is not None:
            raise ValueError("wall-clock time in timezone: leave the UTC offset out")
        if value is not None and recurring is False:
            raise ValueError(f"only recurring windows have {info.field_name}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("weekdays")
    @classmethod
    def _days_for_weekly(cls, value: list[str], info: ValidationInfo) -> list[str]:
        weekly = info.data.get("frequency") == "weekly"
        if weekly and not value:
            raise ValueError("a weekly window needs weekdays (MO, TU, WE, TH, FR, SA, SU)")
        if value and not weekly and "frequency" in info.data:
            raise ValueError("only weekly windows have weekdays")
        if len(set(value)) != len(value):
            raise ValueError("each weekday once")
        return value


async def parse_body(request: web.Request, model: type[Model]) -> Model:
    """The request's JSON body as ``model``; an empty body counts as ``{}``."""
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        reason = f"{field}: {first['msg']}" if field else f"body: {first['msg']}"
        raise refuse(400, reason, field=field or None) from None


def flag(request: web.Request, name: str) -> bool | None:
    """A true/false query parameter; None when absent."""
    value = request.query.get(name)
    if value is None:
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise refuse(400, f"{name} must be true or false", field=name)


def limit(request: web.Request, default: int = 200, maximum: int = 1000) -> int:
    """The ``limit`` query parameter: how many rows at most, newest first."""
    return number(request, "limit", default=default, low=1, high=maximum) or default


def number(
    request: web.Request, name: str, *, default: int | None = None, low: int = 1, high: int
) -> int | None:
    value = request.query.get(name)
    if value is None:
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise refuse(400, f"{name} must be a whole number", field=name) from None
    if not low <= parsed <= high:
        raise refuse(400, f"{name} must be between {low} and {high}", field=name)
    return parsed
