"""A lean HTTP/1.1 GET for the HTTP probe: one request, one response, one connection.

A probe asks one question per host per interval, so a full client (aiohttp's sessions, pools,
cookie jars, URL normalisation, header multidicts) is mostly overhead there: this is about a
fifth of its CPU per check. Enough of HTTP/1.1 for status pages and admin logins: GET, optional
TLS through asyncio's ssl (with the peer certificate kept), and the three ways a body ends —
Content-Length, chunked, or the server closing — parsed by llhttp, Node's parser, through
httptools: what a customer's host answers is untrusted input. No proxies, cookies or compression
(``Accept-Encoding: identity``), and every check opens its own connection: a probe measures
reaching the host, which a pooled connection would hide.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ssl
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, urlsplit

import httptools

from collector.probes.wire import Exchange, ReplyError, exchange

#: Response headers larger than this are not a status page.
MAX_HEADER_BYTES = 64 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})
_PATH_SAFE = "/%:@!$&'()*+,;=-._~?"


class InvalidUrl(ValueError):
    """The URL cannot be requested; the message is the probe detail."""


@dataclass
class HttpReply:
    """What came back for one request (one hop of a redirect chain)."""

    url: str
    status: int
    reason: str
    header_lines: list[str]  # as received, split into lines; parsed only when asked
    body: bytes = b""
    peer_cert_der: bytes | None = None

    @functools.cached_property
    def headers(self) -> dict[str, str]:
        """Names lower-cased; a repeated header keeps its last value. Most checks never ask
        (a 200 with no text to find), so the lines are parsed on first use."""
        headers: dict[str, str] = {}
        for line in self.header_lines:
            name, colon, value = line.partition(":")
            if colon:  # a line without one is skipped, as browsers do
                headers[name.strip().lower()] = value.strip()
        return headers

    @property
    def charset(self) -> str | None:
        for param in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                return value.strip().strip('"') or None
        return None


@dataclass(frozen=True)
class Request:
    url: str
    host: str
    port: int
    tls: bool
    head: bytes  # request line and headers

    @classmethod
    def get(cls, url: str, user_agent: str) -> Request:
        """The request for ``url``; built once per URL (checks repeat it every interval)."""
        return _request(url, user_agent)

    @classmethod
    def build(cls, url: str, user_agent: str) -> Request:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise InvalidUrl(f"invalid URL: {url}")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise InvalidUrl(f"invalid URL: {url}") from None
        host = parts.hostname
        head = (
            f"GET {_request_target(parts)} HTTP/1.1\r\nHost: {_host_header(parts, host)}\r\n"
            f"User-Agent: {user_agent}\r\nAccept: */*\r\nAccept-Encoding: identity\r\n"
            f"{_authorization(parts)}Connection: close\r\n\r\n"
        )
        return cls(url, host, port, scheme == "https", head.encode("latin-1"))


@functools.lru_cache(maxsize=16384)
def _request(url: str, user_agent: str) -> Request:
    return Request.build(url, user_agent)


def _request_target(parts: SplitResult) -> str:
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    return f"{path}?{quote(parts.query, safe=_PATH_SAFE)}" if parts.query else path


def _host_header(parts: SplitResult, host: str) -> str:
    name = host.encode("idna").decode("ascii") if not host.isascii() else host
    if ":" in name:
        name = f"[{name}]"
    return f"{name}:{parts.port}" if parts.port else name


def _authorization(parts: SplitResult) -> str:
    if parts.username is None:
        return ""
    pair = f"{parts.username}:{parts.password or ''}".encode()
    return f"Authorization: Basic {base64.b64encode(pair).decode('ascii')}\r\n"


class _ResponseReader(Exchange[HttpReply]):
    """Feeds the response to llhttp (through httptools, as uvicorn does): the status line,
    headers and body framing (Content-Length, chunked, or to the close) are its to parse,
    however a host we do not control writes them. Interim 1xx responses are skipped; the body
    is kept up to ``max_body``."""

    closed_early = "server closed the connection without a response"

    def __init__(
        self, loop: asyncio.AbstractEventLoop, request: Request, read_body: bool, max_body: int
    ) -> None:
        super().__init__(loop)
        self._request = request
        self._read_body = read_body
        self._max_body = max_body
        self._parser = httptools.HttpResponseParser(self)
        self._head_bytes = 0
        self._began = ""  # the start of the answer, to quote when it is not HTTP
        self._reason = b""
        self._lines: list[str] = []
        self._reply: HttpReply | None = None
        self._chunks: list[bytes] = []
        self._size = 0
        self._complete = False

    def started(self) -> None:
        if self.transport is not None:
            self.transport.write(self._request.head)

    def feed(self, data: bytes) -> None:
        if self._complete:
            return
        if not self._head_bytes:
            self._began = data.split(b"\r\n", 1)[0][:60].decode("latin-1")
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            began = f" (it began {self._began!r})" if self._reply is None else ""
            raise ReplyError(f"bad response: {exc or type(exc).__name__}{began}") from None
        if self._reply is None:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEADER_BYTES:
                raise ReplyError("bad response: headers too long")
        if self._complete:
            self._done()

    def feed_eof(self) -> None:
        if self._complete:
            return
        if self._reply is None:
            if self._head_bytes:
                raise ReplyError("bad response: incomplete headers")
            raise ReplyError(self.closed_early)
        if not _ends_at_close(self._reply.headers):
            raise ReplyError("bad response: connection closed in the middle of the body")
        self._done()

    # llhttp's callbacks, called from inside feed_data.

    def on_status(self, status: bytes) -> None:
        self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self._lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}")

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        reason, lines = self._reason.decode("latin-1").strip(), self._lines
        self._reason, self._lines = b"", []
        if 100 <= status < 200:
            return  # interim (100 Continue, 103 Early Hints): the real response follows
        self._reply = HttpReply(self._request.url, status, reason, lines)
        self._keep_peer_cert(self._reply)
        if not self._read_body or status in _NO_BODY_STATUSES:
            self._complete = True

    def on_body(self, body: bytes) -> None:
        if self._complete:
            return
        self._chunks.append(body)
        self._size += len(body)
        if self._size >= self._max_body:
            self._complete = True  # long enough: the rest is not needed

    def on_message_complete(self) -> None:
        if self._reply is not None:
            self._complete = True

    def _keep_peer_cert(self, reply: HttpReply) -> None:
        if self._request.tls and self.transport is not None:
            ssl_object = self.transport.get_extra_info("ssl_object")
            if ssl_object is not None:
                reply.peer_cert_der = ssl_object.getpeercert(binary_form=True)

    def _done(self) -> None:
        assert self._reply is not None
        self._reply.body = b"".join(self._chunks)[: self._max_body]
        self._complete = True
        self.finish(self._reply)


def _ends_at_close(headers: dict[str, str]) -> bool:
    """A body with neither a length nor chunks runs until the server closes."""
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    return not chunked and "content-length" not in headers


async def fetch(
    request: Request,
    timeout_s: float,
    *,
    tls: ssl.SSLContext | None,
    read_body: bool,
    max_body: int,
) -> HttpReply:
    """Send ``request`` and read the response; errors as :func:`collector.probes.wire.exchange`."""
    protocol = await exchange(
        lambda loop: _ResponseReader(loop, request, read_body, max_body),
        request.host,
        request.port,
        timeout_s,
        tls=tls if request.tls else None,
        server_hostname=request.host,
    )
    return protocol.reply.result()
