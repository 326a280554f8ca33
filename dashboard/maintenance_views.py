"""The maintenance page: windows in force, to come and ended; creating one; ending one.

The form is checked by the JSON API's body model and stored by its transaction function, so
the page refuses exactly what the API refuses, naming the field in the form's words. Dates
and times typed into the form are wall-clock time in the form's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import ValidationError
from sqlalchemy import Connection

from collector.domain.maintenance import WEEKDAYS
from collector.operations import maintenance as maintenance_ops
from collector.operations.maintenance import (
    NewMaintenanceWindow,
    WindowFilter,
    WindowRefused,
)
from collector.store import inventory
from collector.store.inventory import Host
from collector.store.maintenance import StoredWindow
from collector.web.appkeys import CLOCK, DATABASE
from collector.web.ids import row_id
from collector.web.render import window_state
from dashboard import csrf
from dashboard.render import render
from dashboard.sessions import logged_in_operator, require_operator

#: Ended windows shown; the API lists them all.
ENDED_SHOWN = 50

#: What the form calls each field of the body, for error messages.
LABELS = {
    "customer_id": "Customer or host",
    "host_id": "Customer or host",
    "frequency": "Repeats",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "local_time": "Start time",
    "timezone": "Time zone",
    "weekdays": "Days",
    "duration_s": "Duration",
    "reason": "Reason",
}

#: A submitted form, as ``request.post()`` gives it.
Form = MultiDictProxy[Any]


@dataclass(frozen=True)
class WindowRow:
    stored: StoredWindow
    state: str
    customer_name: str


class FormError(Exception):
    """What is wrong with the form, in its words; ``field`` is the body's field to blame."""

    def __init__(self, field: str | None, message: str) -> None:
        label = LABELS.get(field or "", "")
        super().__init__(f"{label}: {message}" if label else message)
        self.field = field


def _page_facts(conn: Connection, now: datetime) -> dict[str, Any]:
    customers = {c["id"]: c["name"] for c in inventory.list_customers(conn)}
    rows = [
        WindowRow(w, window_state(w, now), customers[w.customer_id])
        for w in maintenance_ops.find_windows(conn, WindowFilter(), now)
    ]
    hosts: dict[str, list[Host]] = {}
    for host in inventory.list_hosts(conn):
        hosts.setdefault(host.customer_id, []).append(host)
    return {
        "current": [r for r in rows if r.state != "ended"],
        "ended": [r for r in rows if r.state == "ended"][:ENDED_SHOWN],
        "customers": customers,
        "hosts": hosts,
        "weekdays": WEEKDAYS,
    }


async def _page(
    request: web.Request, form: dict[str, Any], error: FormError | None = None
) -> web.Response:
    facts = await request.app[DATABASE].read(_page_facts, request.app[CLOCK]())
    facts.update(form=form, error=error)
    return await render(request, "maintenance.html", facts, status=400 if error else 200)


@require_operator
async def maintenance_page(request: web.Request) -> web.Response:
    return await _page(request, {"frequency": "once", "timezone": "UTC", "weekdays": []})


def _text(form: Form, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _in_zone(text: str, zone: ZoneInfo) -> str:
    """A ``datetime-local`` value as an aware time in ``zone``; the model refuses the unparsable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()


def body_from_form(form: Form) -> dict[str, Any]:
    """The JSON API's body for the form: fields that do not apply to the frequency dropped."""
    customer_id, _, host_id = _text(form, "scope").partition("/")
    frequency, timezone = _text(form, "frequency"), _text(form, "timezone") or "UTC"
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FormError("timezone", f"{timezone!r} is not an IANA time zone") from None
    body: dict[str, Any] = {"customer_id": customer_id, "frequency": frequency}
    body.update(host_id=host_id or None, timezone=timezone, reason=_text(form, "reason"))
    for name in ("starts_at", "ends_at"):
        if _text(form, name):
            body[name] = _in_zone(_text(form, name), zone)
    if frequency in ("daily", "weekly"):
        body["local_time"] = _text(form, "local_time") or None
        minutes = _text(form, "duration_min")
        body["duration_s"] = float(minutes) * 60 if _number(minutes) else minutes or None
    if frequency == "weekly":
        body["weekdays"] = [day for day in form.getall("weekdays", []) if isinstance(day, str)]
    return body


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def validated(body: dict[str, Any]) -> NewMaintenanceWindow:
    try:
        return NewMaintenanceWindow.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else None
        message = first["msg"].removeprefix("Value error, ")
        raise FormError(field, message) from None


@require_operator
@csrf.protect
async def create_window(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        body = validated(body_from_form(form))
        await request.app[DATABASE].write(
            maintenance_ops.create_window,
            body,
            logged_in_operator(request).username,
            request.app[CLOCK](),
        )
    except FormError as exc:
        return await _page(request, _refill(form), exc)
    except WindowRefused as exc:
        return await _page(request, _refill(form), FormError(exc.field, str(exc)))
    raise web.HTTPSeeOther("/maintenance")


def _refill(form: Form) -> dict[str, Any]:
    """What the operator typed, to show the form again with the error."""
    values: dict[str, Any] = {name: _text(form, name) for name in form}
    values["weekdays"] = [day for day in form.getall("weekdays", []) if isinstance(day, str)]
    return values


@require_operator
@csrf.protect
async def end_window(request: web.Request) -> web.Response:
    raw = request.match_info["window_id"]
    try:
        window_id = row_id(raw)
        if window_id is None:
            raise WindowRefused(f"no maintenance window {raw!r}", status=404)
        await request.app[DATABASE].write(
            maintenance_ops.end_window, window_id, request.app[CLOCK]()
        )
    except WindowRefused as exc:
        if exc.status == 404:
            context = {"title": "No such maintenance window", "message": str(exc)}
            return await render(request, "error.html", context, status=404)
        # Ended already (another operator, or a second click): the list shows when.
    raise web.HTTPSeeOther("/maintenance")
