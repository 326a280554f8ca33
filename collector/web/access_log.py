"""The access log, with the secrets some URLs and headers carry taken out.

An acknowledgement, page or password link is its own credential for days: whoever reads
``GET /ack/<token>`` in a log can acknowledge as the customer, and ``/portal/password/<token>``
sets a customer user's password. The access log writes such paths as ``/ack/[token]``, and
any ``Bearer`` credential or ``token=`` query value as ``[token]``, in the request line and
the Referer alike.
"""

from __future__ import annotations

import re

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

HIDDEN = "[token]"
_SECRETS = (
    (re.compile(r"/(ack|page-ack|portal/password)/[^/?#\s\"]+"), rf"/\1/{HIDDEN}"),
    (re.compile(r"(?i)\b(bearer)\s+[^\s\"]+"), rf"\1 {HIDDEN}"),
    (re.compile(r"(?i)([?&](?:token|key|signature)=)[^&#\s\"]*"), rf"\1{HIDDEN}"),
)


def redact(text: str) -> str:
    """``text`` with every link token, bearer token and token-like query value hidden."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingAccessLogger(AbstractAccessLogger):
    """One line per request, as aiohttp's default format, secrets hidden."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        version = f"HTTP/{request.version.major}.{request.version.minor}"
        line = f"{request.method} {redact(request.path_qs)} {version}"
        referer = redact(request.headers.get("Referer", "-"))
        agent = request.headers.get("User-Agent", "-")
        self.logger.info(
            '%s "%s" %d %d "%s" "%s" %.3fs',
            request.remote or "-",
            line,
            response.status,
            response.body_length,
            referer,
            agent,
            time,
        )
