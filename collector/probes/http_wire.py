"""A lean HTTP/1.1 GET for the HTTP probe: one request, one response, one connection.

A probe asks one question per host per interval, so a full client (aiohttp's sessions, pools,
cookie jars, URL normalisation, header multidicts) is mostly overhead there: this is about a
fifth of its CPU per check. Enough of HTTP/1.1 for status pages and admin logins: GET, optional
TLS through asyncio's ssl (with the peer certificate kept), and the three ways a body ends —
Content-Length, chunked, or the server closing. No proxies, cookies or compression
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
    """Parses the status line and headers, then the body by its framing, up to a size."""

    closed_early = "server closed the connection without a response"

    def __init__(
        self, loop: asyncio.AbstractEventLoop, request: Request, read_body: bool, max_body: int
    ) -> None:
        super().__init__(loop)
        self._request = request
        self._read_body = read_body
        self._max_body = max_body
        self._buffer = b""
        self._reply: HttpReply | None = None
        self._body = _BodyReader(0, max_body)

    def started(self) -> None:
        if self.transport is not None:
            self.transport.write(self._request.head)

    def feed(self, data: bytes) -> None:
        if self._reply is None:
            self._buffer += data
            self._parse_head()
        elif self._body.feed(data):
            self._done()

    def feed_eof(self) -> None:
        if self._reply is None:
            if self._buffer:
                raise ReplyError("bad response: incomplete headers")
            raise ReplyError(self.closed_early)
        if not self._body.until_close:
            raise ReplyError("bad response: connection closed in the middle of the body")
        self._done()

    def _parse_head(self) -> None:
        while self._reply is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEADER_BYTES:
                    raise ReplyError("bad response: headers too long")
                return
            head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
            reply = _parse_head(self._request.url, head)
            if 100 <= reply.status < 200:
                continue  # interim (100 Continue, 103 Early Hints): the real response follows
            self._reply = reply
        self._start_body(self._reply)

    def _start_body(self, reply: HttpReply) -> None:
        if self._request.tls and self.transport is not None:
            ssl_object = self.transport.get_extra_info("ssl_object")
            if ssl_object is not None:
                reply.peer_cert_der = ssl_object.getpeercert(binary_form=True)
        if not self._read_body or reply.status in _NO_BODY_STATUSES:
            self._done()
            return
        self._body = _body_reader(reply.headers, self._max_body)
        rest, self._buffer = self._buffer, b""
        if self._body.feed(rest):
            self._done()

    def _done(self) -> None:
        assert self._reply is not None
        self._reply.body = self._body.body()
        self.finish(self._reply)


def _parse_head(url: str, head: bytes) -> HttpReply:
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise ReplyError(f"bad response: invalid status line {lines[0][:60]!r}")
    return HttpReply(url, int(code), reason.strip(), lines[1:])


class _BodyReader:
    """Collects a body of known length (``remaining``), or to the close (``until_close``)."""

    until_close = False

    def __init__(self, remaining: int, limit: int) -> None:
        self._remaining = remaining
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0

    def keep(self, data: bytes) -> bool:
        """Store ``data``; True once the limit is reached (the rest is not needed)."""
        self._chunks.append(data)
        self._size += len(data)
        return self._size >= self._limit

    def feed(self, data: bytes) -> bool:
        """True when the body is complete (or long enough)."""
        taken = data[: self._remaining]
        self._remaining -= len(taken)
        return self.keep(taken) or self._remaining <= 0

    def body(self) -> bytes:
        return b"".join(self._chunks)[: self._limit]


class _UntilClose(_BodyReader):
    until_close = True

    def feed(self, data: bytes) -> bool:
        return self.keep(data)


class _Chunked(_BodyReader):
    """``Transfer-Encoding: chunked``: size line, data, CRLF, ... and a last chunk of size 0."""

    def __init__(self, limit: int) -> None:
        super().__init__(0, limit)
        self._pending = b""
        self._data_left = 0  # bytes of the current chunk still to come
        self._crlf_next = False  # the CRLF that ends a chunk's data is still to come

    def feed(self, data: bytes) -> bool:
        self._pending += data
        while True:
            if self._data_left:
                taken = self._pending[: self._data_left]
                self._pending = self._pending[len(taken) :]
                self._data_left -= len(taken)
                if self.keep(taken):
                    return True
                if self._data_left:
                    return False
                self._crlf_next = True
            if self._crlf_next:
                if len(self._pending) < 2:
                    return False
                self._pending, self._crlf_next = self._pending[2:], False
            size = self._next_size()
            if size is None:
                return False
            if size == 0:
                return True  # trailers, if any, are of no interest
            self._data_left = size

    def _next_size(self) -> int | None:
        end = self._pending.find(b"\r\n")
        if end < 0:
            if len(self._pending) > MAX_HEADER_BYTES:
                raise ReplyError("bad response: invalid chunk size")
            return None
        size_text = self._pending[:end].split(b";")[0].strip()
        self._pending = self._pending[end + 2 :]
        try:
            return int(size_text, 16)
        except ValueError:
            raise ReplyError("bad response: invalid chunk size") from None


def _body_reader(headers: dict[str, str], limit: int) -> _BodyReader:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _Chunked(limit)
    length = headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise ReplyError(f"bad response: invalid Content-Length {length[:20]!r}")
        return _BodyReader(int(length), limit)
    return _UntilClose(0, limit)


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
