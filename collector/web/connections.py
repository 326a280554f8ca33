"""Slow and many clients: every connection gets its request headers in within a deadline,
its body within another, and there are at most so many at once.

aiohttp waits for headers and bodies as long as a client keeps the connection open, and each
waiting connection holds a file descriptor: a few hundred clients sending a byte a second would
starve the collector of descriptors (reports refused, the database unable to open its files).
A :class:`ConnectionGuard` wraps each connection's protocol to count it and arm its header
deadline; :func:`guard_requests`, a middleware, tells it when a request's headers are in and
arms the body deadline for requests that have one.

    connection made ──header deadline──▶ headers in (middleware) ──body deadline──▶ body in
          │ over the cap: 503, closed            │ missed: closed          │ missed: closed
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_BUSY_BODY = b'{"error": "too many connections; try again soon"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
) % (len(_BUSY_BODY), _BUSY_BODY)


@dataclass(frozen=True)
class Limits:
    header_timeout_s: float
    body_timeout_s: float
    max_connections: int


class ConnectionGuard:
    """The live connections of one listening socket, each under its deadlines."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._guarded: dict[asyncio.BaseTransport, GuardedProtocol] = {}
        self.refused_total = 0
        self.timed_out_total = 0

    @property
    def open_connections(self) -> int:
        return len(self._guarded)

    def factory(self, make_protocol: Callable[[], asyncio.Protocol]) -> Callable[[], Any]:
        """A protocol factory for ``loop.create_server`` wrapping aiohttp's."""
        return lambda: GuardedProtocol(self, make_protocol())

    def admit(self, transport: asyncio.BaseTransport, protocol: GuardedProtocol) -> bool:
        if len(self._guarded) >= self.limits.max_connections:
            self.refused_total += 1
            return False
        self._guarded[transport] = protocol
        return True

    def forget(self, transport: asyncio.BaseTransport) -> None:
        self._guarded.pop(transport, None)

    def protocol_of(self, request: web.BaseRequest) -> GuardedProtocol | None:
        transport = request.transport
        return None if transport is None else self._guarded.get(transport)


class GuardedProtocol(asyncio.Protocol):
    """aiohttp's protocol for one connection, behind the guard's count and deadlines."""

    def __init__(self, guard: ConnectionGuard, inner: Any) -> None:
        self._guard = guard
        self._inner = inner
        self._transport: asyncio.Transport | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._admitted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        if not self._guard.admit(transport, self):
            self._transport.write(_BUSY)
            self._transport.close()
            return
        self._admitted = True
        self._inner.connection_made(transport)
        self.awaiting_headers()

    def data_received(self, data: bytes) -> None:
        if self._admitted:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        if self._transport is not None:
            self._guard.forget(self._transport)
        if self._admitted:
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._admitted:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._admitted:
            self._inner.resume_writing()

    def awaiting_headers(self) -> None:
        """Between requests: the next request's headers must be in within the deadline."""
        self._arm(self._guard.limits.header_timeout_s, lambda: True, "headers")

    def headers_in(self, request: web.BaseRequest) -> None:
        """Headers are in; a body, if any, must follow within its deadline."""
        self._cancel()
        if request.body_exists:
            content = request.content
            self._arm(self._guard.limits.body_timeout_s, lambda: not content.is_eof(), "body")

    def _arm(self, delay_s: float, still_waiting: Callable[[], bool], what: str) -> None:
        self._cancel()
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(delay_s, self._expire, still_waiting, what)

    def _expire(self, still_waiting: Callable[[], bool], what: str) -> None:
        self._deadline = None
        if still_waiting() and self._transport is not None:
            self._guard.timed_out_total += 1
            peer = self._transport.get_extra_info("peername")
            log.info("closing a connection from %s: its %s took too long", peer, what)
            self._transport.close()

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


GUARD = web.AppKey("connection_guard", ConnectionGuard)


@web.middleware
async def guard_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Tell the connection's guard the headers are in, and when the request is done."""
    guard = request.app.get(GUARD)
    protocol = guard.protocol_of(request) if guard is not None else None
    if protocol is None:
        return await handler(request)
    protocol.headers_in(request)
    try:
        return await handler(request)
    finally:
        protocol.awaiting_headers()


class GuardedSite(web.TCPSite):
    """A TCP site whose connections pass through a :class:`ConnectionGuard`."""

    def __init__(self, runner: web.AppRunner, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(runner, **kwargs)
        self._guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            self._guard.factory(server),
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
