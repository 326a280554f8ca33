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
from typing import Any

import aiohttp
from aiohttp.connector import Connection
from cryptography import x509

from collector.probes.base import ProbeResult, Verdict
from collector.probes.tcp import describe_connect_error

USER_AGENT = "Faultdesk-probe/1"
#: Only this much of a body is searched for the expected text.
MAX_BODY_BYTES = 1024 * 1024
_SEVERITY = {Verdict.OK: 0, Verdict.WARNING: 1, Verdict.CRITICAL: 2}


class CertCapturingResponse(aiohttp.ClientResponse):
    """Keeps the server's certificate from the connection the response arrived on.

    aiohttp hands the connection back to the pool as soon as a small body is read — often before
    the caller sees the response — so the certificate has to be taken while the response starts.
    """

    peer_cert_der: bytes | None = None

    async def start(self, connection: Connection) -> aiohttp.ClientResponse:
        transport = connection.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_object is not None:
            self.peer_cert_der = ssl_object.getpeercert(binary_form=True)
        return await super().start(connection)


def http_session(*, limit: int = 100) -> aiohttp.ClientSession:
    """A session for probing many URLs; sessions made elsewhere cannot report certificates."""
    return aiohttp.ClientSession(
        response_class=CertCapturingResponse,
        connector=aiohttp.TCPConnector(limit=limit),
        cookie_jar=aiohttp.DummyCookieJar(),  # one probe's cookies must not affect the next
        headers={"User-Agent": USER_AGENT},
    )


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
    session: aiohttp.ClientSession | None = None,
) -> ProbeResult:
    """GET ``url`` once and judge status, body text and certificate; see the module docstring.

    ``ca_file`` replaces the system trust store (a customer's private CA or a self-signed cert).
    Pass a ``session`` from :func:`http_session` when probing many URLs.
    """
    if session is None:
        async with http_session() as own_session:
            return await probe_http(
                url,
                timeout_s=timeout_s,
                expect_status=expect_status,
                expect_text=expect_text,
                follow_redirects=follow_redirects,
                cert_warning_days=cert_warning_days,
                cert_critical_days=cert_critical_days,
                ca_file=ca_file,
                session=own_session,
            )
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            response = await _get(session, url, follow_redirects, ca_file)
            async with response:
                body = await _read_limited(response) if expect_text is not None else b""
    except TimeoutError:
        return _critical(url, f"no response within {timeout_s:g} s")
    except aiohttp.ClientError as exc:
        return _critical(url, describe_client_error(exc))
    latency_ms = (time.perf_counter() - started) * 1000.0
    findings = [_judge_status(response, expect_status)]
    if expect_text is not None and not _body_contains(response, body, expect_text):
        findings.append(_Finding(Verdict.CRITICAL, f"{expect_text!r} not found in body"))
    data = _response_data(response)
    cert_finding = _judge_certificate(response, cert_warning_days, cert_critical_days, data)
    if cert_finding is not None:
        findings.append(cert_finding)
    return _result(url, latency_ms, findings, data)


async def _get(
    session: aiohttp.ClientSession, url: str, follow_redirects: bool, ca_file: str | None
) -> aiohttp.ClientResponse:
    tls: ssl.SSLContext | bool = _tls_context(ca_file) if url.lower().startswith("https:") else True
    return await session.get(url, allow_redirects=follow_redirects, ssl=tls)


@functools.lru_cache(maxsize=32)
def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """One context per trust store: loading the system CAs costs milliseconds per context."""
    return ssl.create_default_context(cafile=ca_file)


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY_BYTES:
            break
    return b"".join(chunks)[:MAX_BODY_BYTES]


def _body_contains(response: aiohttp.ClientResponse, body: bytes, text: str) -> bool:
    return text in body.decode(response.charset or "utf-8", errors="replace")


def _judge_status(response: aiohttp.ClientResponse, expect_status: set[int] | None) -> _Finding:
    status = response.status
    summary = f"{status} {response.reason or ''}".strip()
    location = response.headers.get("Location")
    if 300 <= status < 400 and location:
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
    response: aiohttp.ClientResponse,
    warning_days: float,
    critical_days: float,
    data: dict[str, Any],
) -> _Finding | None:
    """The soonest-expiring certificate along the redirect chain decides."""
    certs = [
        hop.peer_cert_der
        for hop in (*response.history, response)
        if isinstance(hop, CertCapturingResponse) and hop.peer_cert_der is not None
    ]
    if not certs:
        return None
    not_after = min(x509.load_der_x509_certificate(der).not_valid_after_utc for der in certs)
    days_left = (not_after - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    data["cert_not_after"] = not_after.isoformat()
    data["cert_days_left"] = round(days_left, 3)
    text = f"certificate expires in {_describe_days(days_left)}"
    if days_left <= critical_days:
        return _Finding(Verdict.CRITICAL, text)
    if days_left <= warning_days:
        return _Finding(Verdict.WARNING, text)
    return _Finding(Verdict.OK, f"certificate valid for {_describe_days(days_left)}")


def _describe_days(days: float) -> str:
    if days < 1:
        hours = max(round(days * 24), 0)
        return f"{hours} hour" if hours == 1 else f"{hours} hours"
    whole = round(days)
    return f"{whole} day" if whole == 1 else f"{whole} days"


def _response_data(response: aiohttp.ClientResponse) -> dict[str, Any]:
    return {
        "status": response.status,
        "url": str(response.url),
        "redirects": [str(hop.url) for hop in response.history],
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


def _critical(url: str, detail: str) -> ProbeResult:
    return ProbeResult("http", url, Verdict.CRITICAL, None, detail)


def describe_client_error(exc: aiohttp.ClientError) -> str:
    """Operator-facing words for aiohttp's failures, most specific first."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        reason = getattr(exc.certificate_error, "verify_message", None) or exc.certificate_error
        return f"certificate verify failed: {reason}"
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        return f"TLS handshake failed: {exc.os_error}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return describe_connect_error(exc.os_error)
    if isinstance(exc, aiohttp.TooManyRedirects):
        return f"too many redirects (more than {len(exc.history)})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server closed the connection without a response"
    if isinstance(exc, aiohttp.InvalidURL):
        return f"invalid URL: {exc.url}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"bad response: {exc.message}"
    return str(exc) or type(exc).__name__
