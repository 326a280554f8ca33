"""One short exchange over one TCP (or TLS) connection, as a bare asyncio Protocol.

The SSH banner, TCP and HTTP probes run for every host on every interval, so their socket
work is the collector's hottest path. A Protocol fed straight by the event loop costs a
fraction of the StreamReader/StreamWriter pair (no reader buffer, no waiter per read, no
writer drain), and one timer covers connect and reply together.

A probe subclasses :class:`Exchange`: ``started`` sends its request, ``feed`` parses what
arrives and calls ``finish`` with the reply or raises :class:`ReplyError`.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
E = TypeVar("E", bound="Exchange[Any]")


class ConnectFailed(Exception):
    """The connection could not be opened; the message is the probe detail."""


class ConnectTimeout(ConnectFailed):
    """No connection (or TLS handshake) within the time allowed."""


class ReplyError(Exception):
    """The peer answered, but not as the probe expects; the message is the probe detail."""


class ReplyTimeout(Exception):
    """Connected, but the reply did not arrive in time."""


def describe_connect_error(exc: OSError) -> str:
    """Short, operator-facing words for the usual ways a connect fails."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    # getaddrinfo errors and unreachable networks carry their text in strerror.
    return exc.strerror or str(exc) or type(exc).__name__


class Exchange(asyncio.Protocol, Generic[T]):
    """Base protocol: the ``reply`` future gets the parsed reply or the reason there is none."""

    #: What the peer hanging up before a complete reply means, for this kind of exchange.
    closed_early = "connection closed before a reply"

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # The loop comes from exchange(): asking for the running one costs a getpid() call.
        self.reply: asyncio.Future[T] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.connected_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connected_at = time.perf_counter()
        self.transport = transport  # type: ignore[assignment]
        self.started()

    def started(self) -> None:
        """Connected (TLS handshake done): send the request, if any."""

    def feed(self, data: bytes) -> None:
        raise NotImplementedError

    def feed_eof(self) -> None:
        """The peer finished sending; by default that is too early."""
        raise ReplyError(self.closed_early)

    def data_received(self, data: bytes) -> None:
        if self.reply.done():
            return
        try:
            self.feed(data)
        except ReplyError as exc:
            self.reply.set_exception(exc)

    def eof_received(self) -> bool:
        if not self.reply.done():
            try:
                self.feed_eof()
            except ReplyError as exc:
                self.reply.set_exception(exc)
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.reply.done():
            self.reply.set_exception(exc or ReplyError(self.closed_early))

    def finish(self, value: T) -> None:
        if not self.reply.done():
            self.reply.set_result(value)


async def exchange(
    factory: Callable[[asyncio.AbstractEventLoop], E],
    host: str,
    port: int,
    timeout_s: float,
    *,
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
) -> E:
    """Connect, let the protocol talk, and return it: ``reply.result()`` is the reply.
    ``factory`` makes the protocol for the running loop.

    Raises ConnectFailed (with the words for the probe detail), ReplyTimeout, ReplyError, or
    the OSError that broke the connection after it was made. The connection is always closed.
    """
    loop = asyncio.get_running_loop()
    deadline = _Deadline(loop, timeout_s)
    protocol: E | None = None
    try:
        try:
            _transport, protocol = await loop.create_connection(
                lambda: factory(loop),
                host,
                port,
                ssl=tls,
                server_hostname=server_hostname if tls else None,
            )
        except OSError as exc:  # ssl.SSLError is an OSError too
            raise ConnectFailed(describe_connect_error(exc)) from exc
        await protocol.reply
    except asyncio.CancelledError:
        if not deadline.passed():
            raise  # cancelled from outside: not ours to turn into a verdict
        if protocol is None:
            raise ConnectTimeout(f"no connection within {timeout_s:g} s") from None
        raise ReplyTimeout() from None
    finally:
        deadline.cancel()
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()
    return protocol


class _Deadline:
    """``asyncio.timeout`` for the one exchange it guards, at a third of its cost (a timer
    handle, no context manager): when time is up it cancels the task, and :meth:`passed`
    tells that cancellation from one coming from outside."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout_s: float) -> None:
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("an exchange must run in a task")
        self._task = task
        self._expired = False
        self._timer = loop.call_later(timeout_s, self._expire)

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def passed(self) -> bool:
        """True when the deadline's own cancellation is the only one (and now withdrawn)."""
        return self._expired and self._task.uncancel() == 0

    def cancel(self) -> None:
        self._timer.cancel()
