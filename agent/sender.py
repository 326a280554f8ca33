"""Delivering one signed report to the collector, and saying whether a retry can help.

The body is sent exactly as it was spooled (its ``seq`` and ``sampled_at`` are the sample's);
only the timestamp header is fresh, so the signature stays inside the collector's clock window
however long the report waited.

HTTP is spoken over a plain socket rather than ``http.client``/``urllib.request``: one short
POST per interval needs a few lines, and those modules (with the ``email`` package they pull
in) would be a large share of the agent's memory. TLS is always verified; TLS sessions are
resumed between reports so each one does not pay for a full handshake.
"""

from __future__ import annotations

import enum
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from agent.config import is_loopback_host
from agent.protocol import REPORTS_PATH, signed_headers

#: Longest Retry-After the agent honours; a larger value is more likely a misconfiguration.
MAX_RETRY_AFTER_S = 3600.0
_MAX_REASON_CHARS = 300
_MAX_ANSWER_BYTES = 64 * 1024
_MAX_HEADER_LINES = 100


#: Answers that blame the report itself (malformed, too large): sending it again cannot help.
#: Any other refusal may be about this moment or this host rather than the report — a wrong key
#: or clock (401), a proxy (403, 408), load (429), the server (5xx) — so the report is kept.
REFUSED_FOR_GOOD = frozenset({400, 413})


class Outcome(enum.Enum):
    DELIVERED = "delivered"  # 2xx: stored now or before; remove from the spool
    REFUSED = "refused"  # 400, 413: can never succeed as it is; set it aside (dead letter)
    RETRY = "retry"  # any other answer, or none: keep it and try later


class SendResult(NamedTuple):
    outcome: Outcome
    status: int | None  # HTTP status, None when no answer came back
    detail: str  # why, for the log: the collector's reason or the network error
    retry_after_s: float | None = None


class HttpError(OSError):
    """The peer answered something that is not HTTP/1.x."""


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
        self._clock = clock
        self._client = HttpClient(self.url, timeout_s, ca_bundle)

    def __repr__(self) -> str:  # never show the key
        return f"Sender(url={self.url!r}, host_id={self.host_id!r})"

    def send(self, body: bytes) -> SendResult:
        headers = signed_headers(self.host_id, self._key, body, int(self._clock()))
        try:
            status, answer_headers, answer = self._client.exchange("POST", body, headers)
        except OSError as exc:  # refused, reset, timeout, TLS verification, not HTTP
            return SendResult(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}")
        return classify(status, answer, answer_headers.get("retry-after"))


class HttpClient:
    """One HTTP/1.1 request per connection (``Connection: close``) to one URL."""

    def __init__(
        self,
        url: str,
        timeout_s: float,
        ca_bundle: Path | None,
        proxy: tuple[str, int] | str | None = "environment",
    ) -> None:
        """``proxy`` is ``(host, port)`` of an HTTP CONNECT proxy for https URLs, ``None`` for
        none, or ``"environment"`` for ``https_proxy``/``no_proxy`` as curl reads them."""
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        self.path = parts.path or "/"
        self.timeout_s = timeout_s
        self._authority = parts.netloc.rpartition("@")[2]
        if proxy == "environment":
            proxy = https_proxy(self.host)
        self._proxy = proxy if self.tls and isinstance(proxy, tuple) else None
        self._context: Any = None
        self._session: Any = None
        if self.tls:
            import ssl

            cafile = str(ca_bundle) if ca_bundle else None
            self._context = ssl.create_default_context(cafile=cafile)

    def exchange(
        self, method: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request; return status, lower-cased headers and (the start of) the body."""
        lines = [f"{method} {self.path} HTTP/1.1", f"Host: {self._authority}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        with self._connect() as sock, sock.makefile("rb") as reader:
            sock.sendall("\r\n".join(lines).encode("latin-1") + body)
            status, answer_headers = _read_head(reader)
            answer = _read_body(reader, answer_headers)
            if self.tls:
                # Taken after the answer: TLS 1.3 session tickets arrive after the handshake.
                self._session = getattr(sock, "session", None)
        return status, answer_headers, answer

    def _connect(self) -> socket.socket:
        target = self._proxy or (self.host, self.port)
        sock = socket.create_connection(target, timeout=self.timeout_s)
        try:
            if self._proxy is not None:
                _open_tunnel(sock, f"{self.host}:{self.port}")
            if self._context is not None:
                session = self._session
                sock = self._context.wrap_socket(sock, server_hostname=self.host, session=session)
        except BaseException:
            sock.close()
            raise
        return sock


def _open_tunnel(sock: socket.socket, authority: str) -> None:
    """HTTP CONNECT through a proxy; TLS then runs end to end with the collector."""
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode("latin-1"))
    with sock.makefile("rb") as reader:
        status, _ = _read_head(reader)
    if status != 200:
        raise HttpError(f"proxy refused CONNECT {authority}: HTTP {status}")


def _read_head(reader: Any) -> tuple[int, dict[str, str]]:
    version, _, rest = reader.readline(8192).decode("latin-1").partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise HttpError("the collector's answer is not HTTP/1.x")
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADER_LINES):
        line = reader.readline(8192).decode("latin-1").strip()
        if not line:
            return int(code), headers
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    raise HttpError("the collector's answer has too many header lines")


def _read_body(reader: Any, headers: dict[str, str]) -> bytes:
    """The body, or its first 64 KiB: only the collector's reason is ever needed from it."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        received = 0
        size = int(reader.readline(1024).split(b";")[0] or b"0", 16)
        while size and received < _MAX_ANSWER_BYTES:
            chunks.append(reader.read(size))
            received += size
            reader.readline(8)
            size = int(reader.readline(1024).split(b";")[0] or b"0", 16)
        return b"".join(chunks)[:_MAX_ANSWER_BYTES]
    length = headers.get("content-length", "")
    limit = min(int(length), _MAX_ANSWER_BYTES) if length.isdigit() else _MAX_ANSWER_BYTES
    return bytes(reader.read(limit))


def classify(status: int, body: bytes, retry_after: str | None) -> SendResult:
    """What to do with a report given the collector's answer."""
    detail = _reason(body)
    if 200 <= status < 300:
        return SendResult(Outcome.DELIVERED, status, detail)
    if status in REFUSED_FOR_GOOD:
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
    from email.utils import parsedate_to_datetime  # rare: loaded only when a date comes

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
    """A uniform number in [0, 1) (os.urandom: the random module would be one more import)."""
    return int.from_bytes(os.urandom(4), "big") / 2**32


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


def https_proxy(host: str) -> tuple[str, int] | None:
    """The ``https_proxy`` environment setting, unless ``no_proxy`` or loopback exempts host."""
    proxy = os.environ.get("https_proxy") or os.environ.get("HTTPS_PROXY")
    if not proxy or is_loopback_host(host):
        return None
    exempt = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    for suffix in (item.strip().lstrip(".") for item in exempt.split(",")):
        if suffix == "*" or (suffix and (host == suffix or host.endswith("." + suffix))):
            return None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return (parts.hostname or "", parts.port or 80)


def check_collector(collector_url: str, timeout_s: float, ca_bundle: Path | None) -> str:
    """GET ``/healthz`` through the same TLS settings as reports; raises OSError on failure."""
    url = collector_url.rstrip("/") + "/healthz"
    status, _, _ = HttpClient(url, timeout_s, ca_bundle).exchange("GET")
    return f"{url} answered HTTP {status}"
