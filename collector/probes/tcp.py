"""TCP port probe: can the vendor open a connection to the customer's port at all?

The connect step is shared with the SSH banner probe, so both report the same words for the
same network failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from collector.probes.base import ProbeResult, Verdict


class ConnectFailed(Exception):
    """The TCP connection could not be opened; the message is the probe detail."""


def format_target(host: str, port: int) -> str:
    """``host:port``, with IPv6 literals bracketed so the port stays unambiguous."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe_connect_error(exc: OSError) -> str:
    """Short, operator-facing words for the usual ways a connect fails."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    # getaddrinfo errors and unreachable networks carry their text in strerror.
    return exc.strerror or str(exc) or type(exc).__name__


async def open_connection(
    host: str, port: int, timeout_s: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, float]:
    """Connect, returning the streams and the connect time in milliseconds.

    Raises ConnectFailed with the reason; the caller owns closing the writer.
    """
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        raise ConnectFailed(f"no connection within {timeout_s:g} s") from None
    except OSError as exc:
        raise ConnectFailed(describe_connect_error(exc)) from exc
    return reader, writer, (time.perf_counter() - started) * 1000.0


async def close_quietly(writer: asyncio.StreamWriter) -> None:
    """Close without waiting on a peer that may already be gone."""
    writer.close()
    # A reset on close says nothing about the probe's outcome.
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def probe_tcp(host: str, port: int, *, timeout_s: float = 5.0) -> ProbeResult:
    """Open and close one TCP connection; the connect time is the latency."""
    target = format_target(host, port)
    try:
        _reader, writer, connect_ms = await open_connection(host, port, timeout_s)
    except ConnectFailed as exc:
        return ProbeResult("tcp", target, Verdict.CRITICAL, None, str(exc))
    await close_quietly(writer)
    return ProbeResult(
        "tcp", target, Verdict.OK, connect_ms, f"port {port} open", {"connect_ms": connect_ms}
    )
