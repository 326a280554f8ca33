"""SIP OPTIONS from the vendor's side: can we reach the customer's PBX over SIP?

The SIP exchange itself is the agent's wire code (``agent.sip.options_ping``), so the collector
and the agent agree on what every response code means; here it only runs in a worker thread (it
blocks on a socket) and becomes a monitoring-plugin style verdict.
"""

from __future__ import annotations

import asyncio

from agent.sip import SipPing, options_ping
from collector.probes.base import ProbeResult, Verdict

_VERDICT_BY_STATE = {"up": Verdict.OK, "degraded": Verdict.WARNING, "down": Verdict.CRITICAL}


async def probe_sip(
    host: str,
    port: int = 5060,
    *,
    transport: str = "udp",
    timeout_s: float = 4.0,
    uri_user: str | None = None,
) -> ProbeResult:
    """Ping ``host:port`` with OPTIONS; up is OK, 5xx WARNING, no answer CRITICAL."""
    ping = await asyncio.to_thread(
        options_ping, host, port, transport=transport, timeout_s=timeout_s, uri_user=uri_user
    )
    return ProbeResult(
        kind="sip",
        target=f"{_host_part(host)}:{port}/{transport}",
        verdict=_VERDICT_BY_STATE[ping.state],
        latency_ms=ping.rtt_ms,
        detail=describe(ping),
        data={
            "state": ping.state,
            "code": ping.code,
            "reason": ping.reason,
            "transport": transport,
            "error": ping.error,
        },
    )


def describe(ping: SipPing) -> str:
    """One line for an operator: ``200 OK in 3.1 ms`` or ``no answer: connection refused``."""
    if ping.code is None:
        return f"no answer: {ping.error}"
    rtt = f" in {ping.rtt_ms:.1f} ms" if ping.rtt_ms is not None else ""
    return f"{ping.code} {ping.reason}{rtt}".strip()


def _host_part(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
