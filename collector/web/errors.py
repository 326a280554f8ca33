"""JSON error responses: every refusal says why, and which field when one is to blame."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web

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


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under ``/api/``, aiohttp's own refusals (no such route, method not allowed, body too
    large) answer in the same JSON as the handlers' so API clients parse one error shape."""
    try:
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
