"""JSON error responses: every refusal says why, and which field when one is to blame."""

from __future__ import annotations

import json

from aiohttp import web

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
