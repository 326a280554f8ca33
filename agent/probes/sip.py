"""The agent's ``sip`` probe: one OPTIONS ping of the local PBX (``agent.sip``), as a status."""

from __future__ import annotations

from dataclasses import dataclass

from agent.probes.base import ProbeEntry, entry
from agent.sip import options_ping

_STATUS_BY_STATE = {"up": "ok", "degraded": "warning", "down": "critical"}


@dataclass(frozen=True)
class SipSettings:
    """The agent's ``sip`` probe configuration: which local PBX to ping and how."""

    host: str = "127.0.0.1"
    port: int = 5060
    transport: str = "udp"
    timeout_s: float = 4.0
    uri_user: str | None = None


def collect(settings: SipSettings) -> ProbeEntry:
    """The agent's ``sip`` probe: ping the configured PBX once."""
    ping = options_ping(
        settings.host,
        settings.port,
        transport=settings.transport,
        timeout_s=settings.timeout_s,
        uri_user=settings.uri_user,
    )
    metrics = {
        "state": ping.state,
        "code": ping.code,
        "reason": ping.reason,
        "rtt_ms": ping.rtt_ms,
        "transport": settings.transport,
    }
    return entry(_STATUS_BY_STATE[ping.state], metrics, ping.error)
