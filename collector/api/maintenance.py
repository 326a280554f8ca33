"""Maintenance windows: list, create, end. Faults inside one are recorded but not mailed.

The transaction functions here are shared with the dashboard's maintenance page and the
``faultdesk-collector maintenance`` command, so the three refuse the same things the same way.
Ending a window does not mail anything itself: the next sweep sends what it held back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy import Connection

from collector.api.bodies import NewMaintenanceWindow, flag, parse_body
from collector.domain.maintenance import MaintenanceWindow
from collector.store import inventory
from collector.store import maintenance as maintenance_store
from collector.store.maintenance import StoredWindow
from collector.store.operators import Operator
from collector.web.appkeys import CLOCK, DATABASE
from collector.web.errors import refuse
from collector.web.render import window_json, window_state


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
            reason = f"host {host.id!r} belongs to customer {host.customer_id!r}"
            raise WindowRefused(reason, "host_id")
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


def _refusal(exc: WindowRefused) -> web.HTTPException:
    return refuse(exc.status, str(exc), field=exc.field)


def _window_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise refuse(404, f"no maintenance window {raw!r}")
    return int(raw)


async def list_maintenance(request: web.Request, _operator: Operator) -> web.Response:
    wanted = WindowFilter(
        active=flag(request, "active"),
        customer_id=request.query.get("customer"),
        host_id=request.query.get("host"),
    )
    now = request.app[CLOCK]()
    try:
        windows = await request.app[DATABASE].read(find_windows, wanted, now)
    except WindowRefused as exc:
        raise _refusal(exc) from None
    return web.json_response([window_json(w, now) for w in windows])


async def post_maintenance(request: web.Request, operator: Operator) -> web.Response:
    body = await parse_body(request, NewMaintenanceWindow)
    now = request.app[CLOCK]()
    try:
        stored = await request.app[DATABASE].write(create_window, body, operator.username, now)
    except WindowRefused as exc:
        # An unknown customer or host in a body is a bad body (400), as for hosts.
        raise refuse(400, str(exc), field=exc.field) from None
    return web.json_response(window_json(stored, now), status=201)


async def post_end_maintenance(request: web.Request, _operator: Operator) -> web.Response:
    window_id, now = _window_id(request), request.app[CLOCK]()
    try:
        stored = await request.app[DATABASE].write(end_window, window_id, now)
    except WindowRefused as exc:
        raise _refusal(exc) from None
    return web.json_response(window_json(stored, now))


def _length(seconds: float) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    parts = [f"{hours} h"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe_schedule(window: MaintenanceWindow) -> str:
    """When a window is in force, as people say it: ``SA, SU at 02:00 Europe/London for 2 h``."""
    if window.frequency == "once":
        assert window.ends_at is not None
        return f"{_utc(window.starts_at)} until {_utc(window.ends_at)}"
    days = "daily" if window.frequency == "daily" else ", ".join(window.weekdays)
    at = window.local_time.strftime("%H:%M") if window.local_time else "?"
    text = f"{days} at {at} {window.timezone} for {_length(window.duration_s)}"
    text += f", from {_utc(window.starts_at)}"
    return text + (f" until {_utc(window.ends_at)}" if window.ends_at else "")
