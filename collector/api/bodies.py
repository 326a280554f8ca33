"""Reading a JSON API request: its body into an operation's input model, and query parameters.

Every refusal is a 400 naming the field (``contacts.1.email``, ``open``...), raised before
anything is written. The input models themselves belong to the operations
(``collector.operations``), which the dashboard and the CLI share.
"""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web
from pydantic import (
    BaseModel,
    ValidationError,
)

from collector.web.errors import refuse
from collector.web.ids import unstorable, whole_number

Model = TypeVar("Model", bound=BaseModel)


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


def id_filter(request: web.Request, name: str) -> str | None:
    """A query parameter naming a customer or host; a 404 for a value no id can hold."""
    value = request.query.get(name)
    if value is not None and unstorable(value):
        raise refuse(404, f"no {name} {value!r}", field=name)
    return value


def limit(request: web.Request, default: int = 200, maximum: int = 1000) -> int:
    """The ``limit`` query parameter: how many rows at most, newest first."""
    return number(request, "limit", default=default, low=1, high=maximum) or default


def number(
    request: web.Request, name: str, *, default: int | None = None, low: int = 1, high: int
) -> int | None:
    value = request.query.get(name)
    if value is None:
        return default
    parsed = whole_number(value)
    if parsed is None:
        raise refuse(400, f"{name} must be a whole number", field=name)
    if not low <= parsed <= high:
        raise refuse(400, f"{name} must be between {low} and {high}", field=name)
    return parsed
