"""Maintenance windows as people create, end and list them: the JSON API, the dashboard's
maintenance page and the ``faultdesk-collector maintenance`` command share these, so the three
refuse the same things the same way. Ending a window mails nothing itself: the next sweep sends
what it held back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator
from sqlalchemy import Connection

from collector.domain.maintenance import MaintenanceWindow
from collector.operations.fields import StrictInput, Text, Written
from collector.store import inventory
from collector.store import maintenance as maintenance_store
from collector.store.maintenance import StoredWindow
from collector.web.render import window_state

Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
#: Recurring windows are for routine work; anything longer is a one-off with an end.
LONGEST_OCCURRENCE_S = 7 * 86400


def _recurring(info: ValidationInfo) -> bool | None:
    """Whether the body's window recurs; None when ``frequency`` itself was refused."""
    frequency = info.data.get("frequency")
    return None if frequency is None else frequency != "once"


class NewMaintenanceWindow(StrictInput):
    """One-off: ``starts_at`` and ``ends_at``. Recurring (daily, weekly on ``weekdays``):
    ``local_time`` in ``timezone`` for ``duration_s``, between the optional ``starts_at``
    (default now) and ``ends_at``. ``host_id`` narrows a customer's window to one host."""

    customer_id: str = Field(min_length=1, max_length=64)
    host_id: str | None = Field(None, min_length=1, max_length=128)
    frequency: Literal["once", "daily", "weekly"]
    starts_at: Annotated[AwareDatetime | None, Written] = Field(None, validate_default=True)
    ends_at: Annotated[AwareDatetime | None, Written] = Field(None, validate_default=True)
    local_time: Annotated[time | None, Written] = Field(None, validate_default=True)
    timezone: str = Field("UTC", min_length=1, max_length=64)
    weekdays: list[Weekday] = Field(default_factory=list, max_length=7, validate_default=True)
    duration_s: float | None = Field(None, gt=0, le=LONGEST_OCCURRENCE_S, validate_default=True)
    reason: Text = Field("", max_length=500)

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


class WindowRefused(ValueError):
    """A window that cannot be created or ended; ``field`` names the culprit when there is one."""

    def __init__(self, reason: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(reason)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class WindowFilter:
    """``active``: True for windows in force or still to come, False for ended ones."""

    active: bool | None = None
    customer_id: str | None = None
    host_id: str | None = None


def _require_customer(conn: Connection, customer_id: str, field: str) -> None:
    if customer_id not in {c["id"] for c in inventory.list_customers(conn)}:
        raise WindowRefused(f"no customer {customer_id!r}", field, status=404)


def _require_host(conn: Connection, host_id: str, field: str) -> inventory.Host:
    try:
        return inventory.get_host(conn, host_id)
    except inventory.NotFound as exc:
        raise WindowRefused(str(exc), field, status=404) from None


def window_from_body(body: NewMaintenanceWindow, now: datetime) -> MaintenanceWindow:
    """The domain's window for a validated body; recurring windows start now unless told."""
    if body.frequency == "once" and body.ends_at is not None and body.ends_at <= now:
        raise WindowRefused("ends_at is in the past: the window would never be in force", "ends_at")
    try:
        return MaintenanceWindow(
            window_id="new",  # the row id, once there is one (see store.maintenance)
            frequency=body.frequency,
            starts_at=body.starts_at or now,
            ends_at=body.ends_at,
            host_id=body.host_id,
            customer_id=None if body.host_id else body.customer_id,
            local_time=body.local_time,
            timezone=body.timezone,
            weekdays=tuple(body.weekdays),
            duration_s=body.duration_s or 0.0,
            reason=body.reason,
        )
    except ValueError as exc:  # the body's own checks should have caught it; say so anyway
        raise WindowRefused(str(exc)) from None


def create_window(
    conn: Connection, body: NewMaintenanceWindow, created_by: str, now: datetime
) -> StoredWindow:
    """Store a window for a customer, or for one of its hosts."""
    if body.host_id is not None:
        host = _require_host(conn, body.host_id, "host_id")
        if host.customer_id != body.customer_id:
            owner = host.customer_id
            reason = f"customer {body.customer_id!r} has no host {host.id!r} ({owner!r} has)"
            raise WindowRefused(reason, "host_id", status=404)
    else:
        _require_customer(conn, body.customer_id, "customer_id")
    window = window_from_body(body, now)
    window_id = maintenance_store.add_window(conn, window, body.customer_id, created_by, now)
    stored = maintenance_store.get_window(conn, window_id)
    assert stored is not None
    return stored


def end_window(conn: Connection, window_id: int, now: datetime) -> StoredWindow:
    """End a window now; ending one already ended by hand is refused (409)."""
    stored = maintenance_store.get_window(conn, window_id)
    if stored is None:
        raise WindowRefused(f"no maintenance window #{window_id}", status=404)
    if not maintenance_store.end_window(conn, window_id, now):
        raise WindowRefused(f"maintenance window #{window_id} was ended already", status=409)
    ended = maintenance_store.get_window(conn, window_id)
    assert ended is not None
    return ended


def find_windows(conn: Connection, wanted: WindowFilter, now: datetime) -> list[StoredWindow]:
    """Windows newest first; an unknown customer or host is refused rather than empty."""
    if wanted.customer_id is not None:
        _require_customer(conn, wanted.customer_id, "customer")
    if wanted.host_id is not None:
        _require_host(conn, wanted.host_id, "host")
    found = maintenance_store.list_windows(
        conn, customer_id=wanted.customer_id, host_id=wanted.host_id
    )
    if wanted.active is None:
        return found
    return [w for w in found if (window_state(w, now) != "ended") == wanted.active]


def _length(seconds: float) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    parts = [f"{hours} h"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe_recurrence(window: MaintenanceWindow) -> str:
    """A recurring window's rhythm on its own wall clock: ``SA, SU at 02:00 Europe/London for
    2 h`` (pages add its first and last day in the reader's zone)."""
    days = "daily" if window.frequency == "daily" else ", ".join(window.weekdays)
    at = window.local_time.strftime("%H:%M") if window.local_time else "?"
    return f"{days} at {at} {window.timezone} for {_length(window.duration_s)}"


def describe_schedule(window: MaintenanceWindow) -> str:
    """When a window is in force, as people say it: ``SA, SU at 02:00 Europe/London for 2 h``."""
    if window.frequency == "once":
        assert window.ends_at is not None
        return f"{_utc(window.starts_at)} until {_utc(window.ends_at)}"
    text = describe_recurrence(window) + f", from {_utc(window.starts_at)}"
    return text + (f" until {_utc(window.ends_at)}" if window.ends_at else "")
