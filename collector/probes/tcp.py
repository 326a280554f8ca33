"""TCP port probe: can the vendor open a connection to the customer's port at all?

The connect step (``collector.probes.wire``) is shared with the SSH banner and HTTP probes, so
all three report the same words for the same network failures.
"""

from __future__ import annotations

import time

from collector.probes.base import ProbeResult, Verdict
from collector.probes.wire import (
    ConnectFailed,
    Exchange,
    describe_connect_error,
    exchange,
)

__all__ = ["ConnectFailed", "describe_connect_error", "format_target", "probe_tcp"]


def format_target(host: str, port: int) -> str:
    """``host:port``, with IPv6 literals bracketed so the port stays unambiguous."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _ConnectOnly(Exchange[None]):
    """Done as soon as the connection is made; the caller hangs up."""

    def started(self) -> None:
        self.finish(None)

    def feed(self, data: bytes) -> None:
        """Whatever the service says first is of no interest here."""


async def probe_tcp(host: str, port: int, *, timeout_s: float = 5.0) -> ProbeResult:
    """Open and close one TCP connection; the connect time is the latency."""
    target = format_target(host, port)
    started = time.perf_counter()
    try:
        protocol = await exchange(_ConnectOnly, host, port, timeout_s)
    except ConnectFailed as exc:
        return ProbeResult("tcp", target, Verdict.CRITICAL, None, str(exc))
    connect_ms = (protocol.connected_at - started) * 1000.0
    return ProbeResult(
        "tcp", target, Verdict.OK, connect_ms, f"port {port} open", {"connect_ms": connect_ms}
    )
