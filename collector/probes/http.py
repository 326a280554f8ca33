"""HTTP(S) probe: status, expected text, latency and days until the TLS certificate expires.

Verdicts follow Debian's ``check_http`` so the two can be compared side by side: without an
expected status, 2xx and 3xx are OK, 4xx WARNING, 5xx CRITICAL; with one, anything else is
CRITICAL. A certificate expiring within ``cert_warning_days`` is WARNING, within
``cert_critical_days`` CRITICAL; one that has expired or does not verify fails the connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import ssl
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

from cryptography import x509

from collector.probes.base import ProbeResult, Verdict
from collector.probes.http_wire import HttpReply, InvalidUrl, Request, fetch
from collector.probes.wire import (
    ConnectFailed,
    ConnectTimeout,
    ReplyError,
    ReplyTimeout,
    describe_connect_error,
)

USER_AGENT = "Faultdesk-probe/1"
#: Only this much of a body is searched for the expected text.
MAX_BODY_BYTES = 1024 * 1024
#: Redirects followed before giving up, as browsers and aiohttp do.
MAX_REDIRECTS = 10
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_SEVERITY = {Verdict.OK: 0, Verdict.WARNING: 1, Verdict.CRITICAL: 2}


class HttpSession:
    """What probing many URLs shares: a cap on connections open at once (``limit=0``: none).

    Connections themselves are not pooled (see ``collector.probes.http_wire``).
    """

    def __init__(self, *, limit: int = 100) -> None:
        self._slots = asyncio.Semaphore(limit) if limit > 0 else None
        self.closed = False

    async def __aenter__(self) -> HttpSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self.closed = True

    @property
    def capped(self) -> bool:
        return self._slots is not None

    async def fetch(
        self, request: Request, timeout_s: float, read_body: bool, tls: ssl.SSLContext | None
    ) -> HttpReply:
        if self._slots is None:
            return await fetch(
                request, timeout_s, tls=tls, read_body=read_body, max_body=MAX_BODY_BYTES
            )
        async with self._slots:
            return await fetch(
                request, timeout_s, tls=tls, read_body=read_body, max_body=MAX_BODY_BYTES
            )


def http_session(*, limit: int = 100) -> HttpSession:
    """A session for probing many URLs with at most ``limit`` connections open (0: no cap)."""
    return HttpSession(limit=limit)


_UNCAPPED = HttpSession(limit=0)


class _Failed(Exception):
    """The check could not get a response; the message is the probe detail."""


@dataclass(frozen=True)
class _Finding:
    verdict: Verdict
    text: str


async def probe_http(
    url: str,
    *,
    timeout_s: float = 10.0,
    expect_status: set[int] | None = None,
    expect_text: str | None = None,
    follow_redirects: bool = True,
    cert_warning_days: float = 14,
    cert_critical_days: float = 3,
    ca_file: str | None = None,
    session: HttpSession | None = None,
) -> ProbeResult:
    """GET ``url`` once and judge status, body text and certificate; see the module docstring.

    ``ca_file`` replaces the system trust store (a customer's private CA or a self-signed cert).
    Pass a ``session`` from :func:`http_session` to cap connections across many probes.
    """
    started = time.perf_counter()
    try:
        hops = await _get(
            session or _UNCAPPED, url, follow_redirects, ca_file, expect_text, timeout_s
        )
    except _Failed as exc:
        return ProbeResult("http", url, Verdict.CRITICAL, None, str(exc))
    latency_ms = (time.perf_counter() - started) * 1000.0
    response = hops[-1]
    findings = [_judge_status(response, expect_status)]
    if expect_text is not None and not _body_contains(response, expect_text):
        findings.append(_Finding(Verdict.CRITICAL, f"{expect_text!r} not found in body"))
    data = _response_data(hops)
    cert_finding = _judge_certificate(hops, cert_warning_days, cert_critical_days, data)
    if cert_finding is not None:
        findings.append(cert_finding)
    return _result(url, latency_ms, findings, data)


async def _get(
    session: HttpSession,
    url: str,
    follow_redirects: bool,
    ca_file: str | None,
    expect_text: str | None,
    timeout_s: float,
) -> list[HttpReply]:
    """Every response along the redirect chain, the last one being the answer."""
    deadline = time.perf_counter() + timeout_s
    hops: list[HttpReply] = []
    while True:
        try:
            request = Request.get(url, USER_AGENT)
            tls = _tls_context(ca_file) if request.tls else None
            remaining = max(deadline - time.perf_counter(), 0.0)
            read_body = expect_text is not None
            if session.capped:
                reply = await session.fetch(request, remaining, read_body, tls)
            else:  # the common case in the collector, which bounds concurrency itself
                reply = await fetch(
                    request, remaining, tls=tls, read_body=read_body, max_body=MAX_BODY_BYTES
                )
        except (ConnectTimeout, ReplyTimeout):
            raise _Failed(f"no response within {timeout_s:g} s") from None
        except (ConnectFailed, ReplyError, InvalidUrl) as exc:
            raise _Failed(str(exc)) from None
        except OSError as exc:
            raise _Failed(describe_connect_error(exc)) from None
        hops.append(reply)
        if not (follow_redirects and reply.status in _REDIRECT_STATUSES):
            return hops
        location = reply.headers.get("location")
        if not location:
            return hops
        if len(hops) > MAX_REDIRECTS:
            raise _Failed(f"too many redirects (more than {MAX_REDIRECTS})")
        url = urljoin(url, location)


@functools.lru_cache(maxsize=32)
def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """One context per trust store: loading the system CAs costs milliseconds per context."""
    return ssl.create_default_context(cafile=ca_file)


def _body_contains(response: HttpReply, text: str) -> bool:
    try:
        decoded = response.body.decode(response.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        decoded = response.body.decode("utf-8", errors="replace")
    return text in decoded


def _judge_status(response: HttpReply, expect_status: set[int] | None) -> _Finding:
    status = response.status
    summary = f"{status} {response.reason}".strip()
    location = response.headers.get("location") if 300 <= status < 400 else None
    if location:
        summary += f" -> {location}"
    if expect_status is not None:
        if status in expect_status:
            return _Finding(Verdict.OK, summary)
        expected = ", ".join(str(code) for code in sorted(expect_status))
        return _Finding(Verdict.CRITICAL, f"{summary} (expected {expected})")
    if status < 400:
        return _Finding(Verdict.OK, summary)
    return _Finding(Verdict.WARNING if status < 500 else Verdict.CRITICAL, summary)


def _judge_certificate(
    hops: list[HttpReply], warning_days: float, critical_days: float, data: dict[str, Any]
) -> _Finding | None:
    """The soonest-expiring certificate along the redirect chain decides."""
    certs = {hop.peer_cert_der for hop in hops if hop.peer_cert_der is not None}
    if not certs:
        return None
    not_after = min(_not_after(der) for der in certs)
    days_left = (not_after - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    data["cert_not_after"] = not_after.isoformat()
    data["cert_days_left"] = round(days_left, 3)
    text = f"certificate expires in {_describe_days(days_left)}"
    if days_left <= critical_days:
        return _Finding(Verdict.CRITICAL, text)
    if days_left <= warning_days:
        return _Finding(Verdict.WARNING, text)
    return _Finding(Verdict.OK, f"certificate valid for {_describe_days(days_left)}")


@functools.lru_cache(maxsize=1024)
def _not_after(der: bytes) -> dt.datetime:
    """Parsed once per certificate: most sites present the same one for weeks."""
    return x509.load_der_x509_certificate(der).not_valid_after_utc


def _describe_days(days: float) -> str:
    if days < 1:
        hours = max(round(days * 24), 0)
        return f"{hours} hour" if hours == 1 else f"{hours} hours"
    whole = round(days)
    return f"{whole} day" if whole == 1 else f"{whole} days"


def _response_data(hops: list[HttpReply]) -> dict[str, Any]:
    return {
        "status": hops[-1].status,
        "url": hops[-1].url,
        "redirects": [hop.url for hop in hops[:-1]],
    }


def _result(
    url: str, latency_ms: float, findings: list[_Finding], data: dict[str, Any]
) -> ProbeResult:
    """Problems first, then the plain facts, so the one-line detail leads with what is wrong."""
    verdict = max((finding.verdict for finding in findings), key=_SEVERITY.__getitem__)
    problems = [f.text for f in findings if f.verdict is not Verdict.OK]
    facts = [f.text for f in findings if f.verdict is Verdict.OK]
    hops = len(data["redirects"])
    if hops:
        facts.append(f"after {hops} redirect" + ("s" if hops > 1 else ""))
    detail = "; ".join([*problems, ", ".join(facts)] if facts else problems)
    return ProbeResult("http", url, verdict, latency_ms, detail, data)
