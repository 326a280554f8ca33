"""AMI answers into the probe's metrics, one row per listed object.

Pure: an AMI message (and the configured trunk names, where a row says whether it is one) in,
plain data out, so what the probe reports for each Asterisk field can be checked without a PBX.
Field names are Asterisk's own (manager.c, res_pjsip, res_pjsip_outbound_registration,
app_queue, chan_sip).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from agent.probes.ami import AmiMessage
from agent.probes.asterisk.fields import (
    count_channels,
    hms_seconds,
    pbx_time_utc,
    peer_rtt_ms,
    to_int,
)

Metrics = dict[str, Any]

#: QueueSummary keys, ours to Asterisk's.
_QUEUE_KEYS = {
    "logged_in": "LoggedIn",
    "available": "Available",
    "callers": "Callers",
    "hold_time_s": "HoldTime",
    "talk_time_s": "TalkTime",
    "longest_hold_s": "LongestHoldTime",
}


def core_status(status: AmiMessage, zone: str, now: datetime) -> Metrics:
    """Start and reload times in UTC, uptime at ``now`` (aware), and call counters."""
    startup = pbx_time_utc(status.get("CoreStartupDate"), status.get("CoreStartupTime"), zone)
    reload = pbx_time_utc(status.get("CoreReloadDate"), status.get("CoreReloadTime"), zone)
    uptime = None
    if startup is not None:
        uptime = max(0, int((now - datetime.fromisoformat(startup)).total_seconds()))
    return {
        "startup_at": startup,
        "reload_at": reload,
        "uptime_s": uptime,
        "current_calls": to_int(status.get("CoreCurrentCalls")),
        "processed_calls": to_int(status.get("CoreProcessedCalls")),  # Asterisk 20.x and later
    }


def core_settings(core: AmiMessage) -> Metrics:
    return {
        "asterisk_version": core.get("AsteriskVersion"),
        "max_calls": to_int(core.get("CoreMaxCalls")),
        "system_name": core.get("SystemName") or None,
    }


def endpoint_row(event: AmiMessage, trunks: Collection[str]) -> Metrics:
    """One ``EndpointList`` event of PJSIPShowEndpoints."""
    name = event.get("ObjectName") or ""
    return {
        "name": name,
        "device_state": event.get("DeviceState") or "Unknown",
        "trunk": name in trunks,
        "active_channels": count_channels(event.get("ActiveChannels")),
    }


def registration_row(event: AmiMessage) -> Metrics:
    """One ``OutboundRegistrationDetail`` event of PJSIPShowRegistrationsOutbound."""
    return {
        "name": event.get("ObjectName"),
        "status": event.get("Status") or "Unknown",
        "server_uri": event.get("ServerUri"),
        "client_uri": event.get("ClientUri"),
        "endpoint": event.get("Endpoint") or None,
    }


def contact_row(event: AmiMessage, trunks: Collection[str]) -> Metrics:
    """One ``ContactList`` event of PJSIPShowContacts; a trunk's by endpoint or AOR name."""
    name = event.get("ObjectName") or ""
    aor = name.split(";@", 1)[0]  # contact ids are "<aor>;@<hash>"
    endpoint = event.get("Endpoint") or aor
    rtt_usec = to_int(event.get("RoundtripUsec"))  # "N/A" until qualified
    return {
        "name": name,
        "aor": aor,
        "endpoint": endpoint,
        "uri": event.get("Uri"),
        "status": event.get("Status") or "Unknown",
        "rtt_ms": None if rtt_usec is None else round(rtt_usec / 1000, 3),
        "trunk": endpoint in trunks or aor in trunks,
    }


def channels_summary(events: Sequence[AmiMessage]) -> Metrics:
    """``CoreShowChannel`` events summarised: how many, and the longest with its duration."""
    longest_s, longest_channel = 0, None
    for event in events:
        seconds = hms_seconds(event.get("Duration"))
        if seconds > longest_s or longest_channel is None:
            longest_s, longest_channel = seconds, event.get("Channel")
    return {"count": len(events), "longest_s": longest_s, "longest_channel": longest_channel}


def queue_row(event: AmiMessage) -> Metrics:
    """One ``QueueSummary`` event of app_queue's QueueSummary."""
    counts = {ours: to_int(event.get(theirs)) for ours, theirs in _QUEUE_KEYS.items()}
    return {"queue": event.get("Queue"), **counts}


def sip_peer_row(event: AmiMessage, trunks: Collection[str]) -> Metrics:
    """One ``PeerEntry`` event of chan_sip's SIPpeers."""
    name, status = event.get("ObjectName") or "", event.get("Status") or "UNKNOWN"
    return {
        "name": name,
        "status": status,
        "ip": event.get("IPaddress"),
        "rtt_ms": peer_rtt_ms(status),
        "trunk": name in trunks,
    }


def sip_registry_row(event: AmiMessage) -> Metrics:
    """One ``RegistryEntry`` event of chan_sip's SIPshowregistry."""
    return {
        "host": event.get("Host"),
        "username": event.get("Username"),
        "state": event.get("State"),
    }
