"""JSON error responses: every refusal says why, and which field when one is to blame."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from collector.web.ids import unstorable

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_BY_STATUS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
    413: web.HTTPRequestEntityTooLarge,
    429: web.HTTPTooManyRequests,
}


def refuse(
    status: int, reason: str, *, field: str | None = None, retry_after: int | None = None
) -> web.HTTPException:
    """An HTTP error carrying ``{"error": reason, "field": field}`` as JSON."""
    payload: dict[str, str] = {"error": reason}
    if field:
        payload["field"] = field
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    cls = _BY_STATUS[status]
    kwargs: dict[str, object] = {
        "text": json.dumps(payload),
        "content_type": "application/json",
        "headers": headers,
    }
    if cls is web.HTTPRequestEntityTooLarge:
        return web.HTTPRequestEntityTooLarge(
            max_size=0, actual_size=0, text=json.dumps(payload), content_type="application/json"
        )
    return cls(**kwargs)  # type: ignore[arg-type]


def _refuse_unstorable(request: web.Request) -> None:
    for name, value in request.match_info.items():
        if unstorable(value):
            raise refuse(404, f"no such {name}: it holds a character no {name} can hold")


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under ``/api/``, aiohttp's own refusals (no such route, method not allowed, body too
    large) answer in the same JSON as the handlers' so API clients parse one error shape, and
    so does a failure nobody expected: a JSON 500, its traceback in the log."""
    try:
        _refuse_unstorable(request)
        return await handler(request)
    except web.HTTPException as exc:
        if (
            not request.path.startswith("/api/")
            or exc.status < 400
            or exc.content_type == "application/json"
        ):
            raise
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        reason = f"{exc.reason.lower()}: {request.method} {request.path}"
        return web.json_response({"error": reason}, status=exc.status, headers=allow)
    except Exception:
        if not request.path.startswith("/api/"):
            raise
        log.exception("unexpected failure answering %s %s", request.method, request.path)
        return web.json_response(
            {"error": "internal error; the collector's log says why"}, status=500
        )
