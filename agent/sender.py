"""Delivering one signed report to the collector, and saying whether a retry can help.

The body is sent exactly as it was spooled (its ``seq`` and ``sampled_at`` are the sample's);
only the timestamp header is fresh, so the signature stays inside the collector's clock window
however long the report waited. Standard library HTTP keeps the agent small.
"""

from __future__ import annotations

import enum
import json
import logging
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agent.config import is_loopback_host
from agent.protocol import REPORTS_PATH, signed_headers

log = logging.getLogger(__name__)

#: Longest Retry-After the agent honours; a larger value is more likely a misconfiguration.
MAX_RETRY_AFTER_S = 3600.0
_MAX_REASON_CHARS = 300


class Outcome(enum.Enum):
    DELIVERED = "delivered"  # 2xx: stored now or before; remove from the spool
    REFUSED = "refused"  # 4xx: this report can never succeed; log it and drop it
    RETRY = "retry"  # 429, 5xx, redirects, network errors: keep it and try later


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    status: int | None  # HTTP status, None when no answer came back
    detail: str  # why, for the log: the collector's reason or the network error
    retry_after_s: float | None = None


class Sender:
    """POSTs report bodies to ``<collector_url>/api/v1/reports`` with fresh signed headers."""

    def __init__(
        self,
        collector_url: str,
        host_id: str,
        key: bytes,
        *,
        timeout_s: float = 10.0,
        ca_bundle: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = collector_url.rstrip("/") + REPORTS_PATH
        self.host_id = host_id
        self._key = key
        self._timeout_s = timeout_s
        self._clock = clock
        self._opener = _build_opener(self.url, ca_bundle)

    def __repr__(self) -> str:  # never show the key
        return f"Sender(url={self.url!r}, host_id={self.host_id!r})"

    def send(self, body: bytes) -> SendResult:
        headers = signed_headers(self.host_id, self._key, body, int(self._clock()))
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self._timeout_s) as response:
                return classify(response.status, response.read(64 * 1024), None)
        except urllib.error.HTTPError as exc:
            with exc:
                return classify(exc.code, exc.read(64 * 1024), exc.headers.get("Retry-After"))
        except (OSError, ValueError) as exc:  # URLError, timeouts, resets, TLS failures
            reason = getattr(exc, "reason", None) or exc
            return SendResult(Outcome.RETRY, None, f"{type(exc).__name__}: {reason}")


def classify(status: int, body: bytes, retry_after: str | None) -> SendResult:
    """What to do with a report given the collector's answer."""
    detail = _reason(body)
    if 200 <= status < 300:
        return SendResult(Outcome.DELIVERED, status, detail)
    if status == 429:
        return SendResult(Outcome.RETRY, status, detail, parse_retry_after(retry_after))
    if 400 <= status < 500:
        return SendResult(Outcome.REFUSED, status, detail)
    if 300 <= status < 400:
        detail = "the collector redirected the report; collector_url needs correcting"
    return SendResult(Outcome.RETRY, status, detail, parse_retry_after(retry_after))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        moment = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return min(max(0.0, moment - (time.time() if now is None else now)), MAX_RETRY_AFTER_S)


def backoff_delay(failures: int, base_s: float, cap_s: float, rand: Callable[[], float]) -> float:
    """Exponential backoff with jitter: between half and all of ``base * 2**(failures-1)``.

    The jitter spreads a fleet of agents that lost the collector at the same moment, so they
    do not all come back in the same second.
    """
    ceiling = min(cap_s, base_s * 2 ** max(0, min(failures - 1, 30)))
    return ceiling * (0.5 + 0.5 * rand())


def jitter() -> float:
    return random.random()


def _reason(body: bytes) -> str:
    """The collector's reason from a JSON answer, else the start of the body."""
    text = body.decode("utf-8", "replace")
    try:
        answer: Any = json.loads(text)
    except ValueError:
        return text[:_MAX_REASON_CHARS]
    if isinstance(answer, dict):
        for key in ("reason", "error", "detail"):
            if answer.get(key):
                return str(answer[key])[:_MAX_REASON_CHARS]
    return text[:_MAX_REASON_CHARS]


def _build_opener(url: str, ca_bundle: Path | None) -> urllib.request.OpenerDirector:
    """An opener that verifies TLS, never follows redirects, and skips proxies for loopback."""
    handlers: list[Any] = [_NoRedirect()]
    if url.startswith("https:"):
        import ssl

        context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
        handlers.append(urllib.request.HTTPSHandler(context=context))
    if is_loopback_host(urlsplit(url).hostname or ""):
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects turn a POST into a GET; answer with the 3xx instead (classified as retry)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def check_collector(collector_url: str, timeout_s: float, ca_bundle: Path | None) -> str:
    """GET ``/healthz`` through the same TLS settings as reports; raises OSError on failure."""
    url = collector_url.rstrip("/") + "/healthz"
    with _build_opener(url, ca_bundle).open(url, timeout=timeout_s) as response:
        return f"{url} answered HTTP {response.status}"
