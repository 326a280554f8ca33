"""Asterisk over AMI: is the PBX up, are its trunks registered, can it reach its phones?

One AMI connection per cycle, logged in with the secret read from ``secret_file`` (never logged,
never reported) and closed with ``Logoff``. Field names are Asterisk's own (manager.c,
res_pjsip, res_pjsip_outbound_registration, app_queue, chan_sip). Metrics::

    reachable, logged_in, ami_version, auth ("md5" | "plaintext"), ping_ms,
    startup_at, reload_at (UTC ISO 8601), uptime_s, current_calls, processed_calls,
    asterisk_version, max_calls, system_name,
    endpoints      [{name, device_state, trunk, active_channels}]
    registrations  [{name, status, server_uri, client_uri, endpoint, trunk}]
    contacts       [{name, aor, endpoint, uri, status, rtt_ms, trunk}]
    channels       {count, longest_s, longest_channel}
    queues         [{queue, logged_in, available, callers, hold_time_s, talk_time_s,
                     longest_hold_s}] or None without app_queue
    sip_peers, sip_registry (chan_sip=True only), problems [...], errors {action: message}

Status: critical when AMI is unreachable or refuses the login, a trunk registration is not
``Registered``, or a trunk is ``Unavailable``/``Unreachable``; warning when another contact is
``Unreachable``, a configured trunk does not exist, or an action failed; otherwise ok.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.probes.ami import AmiAuthError, AmiClient, AmiConnectionError, AmiError
from agent.probes.base import ProbeEntry, entry

log = logging.getLogger(__name__)

Metrics = dict[str, Any]
_UNKNOWN_ACTION = "invalid/unknown command"
_LIST_KEYS = {
    "PJSIPShowEndpoints": "endpoints",
    "PJSIPShowRegistrationsOutbound": "registrations",
    "PJSIPShowContacts": "contacts",
    "QueueSummary": "queues",
}
_PEER_RTT = re.compile(r"\((\d+) ms\)")


@dataclass(frozen=True)
class AsteriskSettings:
    """The agent's ``asterisk`` probe configuration."""

    host: str = "127.0.0.1"
    port: int = 5038
    username: str = ""
    secret_file: str = ""
    timeout_s: float = 5.0
    trunks: tuple[str, ...] = ()
    chan_sip: bool = False
    #: IANA zone Asterisk runs in; CoreStatus gives local wall-clock times. "" = this host's.
    pbx_timezone: str = ""

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"asterisk.port: {self.port} is not a TCP port")
        if self.timeout_s <= 0:
            raise ValueError(f"asterisk.timeout_s: must be positive, not {self.timeout_s}")
        if self.pbx_timezone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.pbx_timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(
                    f"asterisk.pbx_timezone: unknown zone {self.pbx_timezone!r}"
                ) from exc


def read_secret(path: str) -> str:
    """The AMI secret: the file's content without its trailing newline."""
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def collect(settings: AsteriskSettings) -> ProbeEntry:
    """Sample the PBX once; AMI down or login refused is ``critical`` with a readable reason."""
    if not settings.username or not settings.secret_file:
        return entry("error", {}, "asterisk probe needs both username and secret_file")
    try:
        secret = read_secret(settings.secret_file)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return entry("error", {}, f"cannot read AMI secret file {settings.secret_file}: {reason}")
    client = AmiClient(settings.host, settings.port, settings.timeout_s)
    try:
        with client:
            metrics = _session(client, settings, secret)
    except AmiAuthError as exc:
        return entry("critical", {"reachable": True, "logged_in": False}, exc.message)
    except AmiConnectionError as exc:
        reachable = client.ami_version is not None
        return entry("critical", {"reachable": reachable, "logged_in": False}, exc.message)
    status, problems = evaluate(metrics, settings)
    metrics["problems"] = problems
    return entry(status, metrics, "; ".join(problems) or None)


def _session(client: AmiClient, settings: AsteriskSettings, secret: str) -> Metrics:
    client.connect()
    auth = client.login(settings.username, secret)
    metrics: Metrics = {
        "reachable": True,
        "logged_in": True,
        "ami_version": client.ami_version,
        "auth": auth,
    }
    errors: dict[str, str] = {}
    for action, gather, optional in _gatherers(settings):
        try:
            metrics.update(gather(client, settings))
        except AmiConnectionError:
            raise
        except AmiError as exc:
            if optional and exc.message.lower().startswith(_UNKNOWN_ACTION):
                metrics[_LIST_KEYS[action]] = None  # module not loaded here, which is fine
                continue
            log.info("AMI %s failed: %s", action, exc.message)
            errors[action] = exc.message
    client.logoff()
    metrics["errors"] = errors
    return metrics


Gatherer = Callable[[AmiClient, AsteriskSettings], Metrics]


def _gatherers(settings: AsteriskSettings) -> list[tuple[str, Gatherer, bool]]:
    """(action, gatherer, optional): PJSIP is optional on a chan_sip box, queues always."""
    pjsip_optional = settings.chan_sip
    steps: list[tuple[str, Gatherer, bool]] = [
        ("Ping", _ping, False),
        ("CoreStatus", _core_status, False),
        ("CoreSettings", _core_settings, False),
        ("PJSIPShowEndpoints", _endpoints, pjsip_optional),
        ("PJSIPShowRegistrationsOutbound", _registrations, pjsip_optional),
        ("PJSIPShowContacts", _contacts, pjsip_optional),
        ("CoreShowChannels", _channels, False),
        ("QueueSummary", _queues, True),
    ]
    if settings.chan_sip:
        steps += [("SIPpeers", _sip_peers, False), ("SIPshowregistry", _sip_registry, False)]
    return steps


def _ping(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    started = time.perf_counter()
    client.action("Ping")
    return {"ping_ms": round((time.perf_counter() - started) * 1000, 3)}


def _core_status(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    status = client.action("CoreStatus")
    zone = settings.pbx_timezone
    startup = pbx_time_utc(status.get("CoreStartupDate"), status.get("CoreStartupTime"), zone)
    reload = pbx_time_utc(status.get("CoreReloadDate"), status.get("CoreReloadTime"), zone)
    uptime = None
    if startup is not None:
        uptime = max(0, int((datetime.now(UTC) - datetime.fromisoformat(startup)).total_seconds()))
    return {
        "startup_at": startup,
        "reload_at": reload,
        "uptime_s": uptime,
        "current_calls": to_int(status.get("CoreCurrentCalls")),
        "processed_calls": to_int(status.get("CoreProcessedCalls")),  # Asterisk 20.x and later
    }


def _core_settings(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    core = client.action("CoreSettings")
    return {
        "asterisk_version": core.get("AsteriskVersion"),
        "max_calls": to_int(core.get("CoreMaxCalls")),
        "system_name": core.get("SystemName") or None,
    }


def _endpoints(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    rows = []
    for event in client.list_action("PJSIPShowEndpoints").items("EndpointList"):
        name = event.get("ObjectName") or ""
        rows.append(
            {
                "name": name,
                "device_state": event.get("DeviceState") or "Unknown",
                "trunk": name in settings.trunks,
                "active_channels": _count_channels(event.get("ActiveChannels")),
            }
        )
    return {"endpoints": rows}


def _registrations(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    answer = client.list_action("PJSIPShowRegistrationsOutbound")
    rows = [
        {
            "name": event.get("ObjectName"),
            "status": event.get("Status") or "Unknown",
            "server_uri": event.get("ServerUri"),
            "client_uri": event.get("ClientUri"),
            "endpoint": event.get("Endpoint") or None,
        }
        for event in answer.items("OutboundRegistrationDetail")
    ]
    return {"registrations": rows}


def _contacts(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    rows = []
    for event in client.list_action("PJSIPShowContacts").items("ContactList"):
        name = event.get("ObjectName") or ""
        aor = name.split(";@", 1)[0]  # contact ids are "<aor>;@<hash>"
        endpoint = event.get("Endpoint") or aor
        rtt_usec = to_int(event.get("RoundtripUsec"))  # "N/A" until qualified
        rows.append(
            {
                "name": name,
                "aor": aor,
                "endpoint": endpoint,
                "uri": event.get("Uri"),
                "status": event.get("Status") or "Unknown",
                "rtt_ms": None if rtt_usec is None else round(rtt_usec / 1000, 3),
                "trunk": endpoint in settings.trunks or aor in settings.trunks,
            }
        )
    return {"contacts": rows}


def _channels(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    longest_s, longest_channel = 0, None
    events = client.list_action("CoreShowChannels").items("CoreShowChannel")
    for event in events:
        seconds = _hms_seconds(event.get("Duration"))
        if seconds > longest_s or longest_channel is None:
            longest_s, longest_channel = seconds, event.get("Channel")
    return {
        "channels": {
            "count": len(events),
            "longest_s": longest_s,
            "longest_channel": longest_channel,
        }
    }


def _queues(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    keys = {
        "logged_in": "LoggedIn",
        "available": "Available",
        "callers": "Callers",
        "hold_time_s": "HoldTime",
        "talk_time_s": "TalkTime",
        "longest_hold_s": "LongestHoldTime",
    }
    rows = [
        {
            "queue": event.get("Queue"),
            **{ours: to_int(event.get(theirs)) for ours, theirs in keys.items()},
        }
        for event in client.list_action("QueueSummary").items("QueueSummary")
    ]
    return {"queues": rows}


def _sip_peers(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    rows = []
    for event in client.list_action("SIPpeers").items("PeerEntry"):
        name, status = event.get("ObjectName") or "", event.get("Status") or "UNKNOWN"
        rtt = _PEER_RTT.search(status)  # "OK (12 ms)", "LAGGED (2100 ms)", "UNREACHABLE"
        rows.append(
            {
                "name": name,
                "status": status,
                "ip": event.get("IPaddress"),
                "rtt_ms": int(rtt.group(1)) if rtt else None,
                "trunk": name in settings.trunks,
            }
        )
    return {"sip_peers": rows}


def _sip_registry(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    rows = [
        {"host": event.get("Host"), "username": event.get("Username"), "state": event.get("State")}
        for event in client.list_action("SIPshowregistry").items("RegistryEntry")
    ]
    return {"sip_registry": rows}


def to_int(value: str | None) -> int | None:
    """An AMI number, or None for an absent or non-numeric value ("N/A")."""
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def _count_channels(value: str | None) -> int:
    """``ActiveChannels`` is a comma list of channel ids on real PBXs, a number in the docs."""
    if not value:
        return 0
    return int(value) if value.isdigit() else len([part for part in value.split(",") if part])


def _hms_seconds(value: str | None) -> int:
    parts = [to_int(part) for part in (value or "").split(":")]
    if len(parts) != 3 or any(part is None for part in parts):
        return 0
    hours, minutes, seconds = (part or 0 for part in parts)
    return hours * 3600 + minutes * 60 + seconds


def pbx_time_utc(date: str | None, clock: str | None, zone: str) -> str | None:
    """CoreStatus local wall-clock date and time as UTC ISO 8601 (None when absent)."""
    if not date or not clock:
        return None
    try:
        naive = datetime.strptime(f"{date} {clock}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    if zone:
        from zoneinfo import ZoneInfo

        local = naive.replace(tzinfo=ZoneInfo(zone))
    else:
        local = naive.astimezone()  # a naive time is taken as this host's local time
    return local.astimezone(UTC).isoformat()


def evaluate(metrics: Metrics, settings: AsteriskSettings) -> tuple[str, list[str]]:
    """The probe status and the readable problems behind it, worst first."""
    critical: list[str] = []
    warning: list[str] = []
    for reg in metrics.get("registrations") or []:
        if reg["status"] != "Registered":
            critical.append(f"trunk registration {reg['name']} is {reg['status']}")
    for reg in metrics.get("sip_registry") or []:
        if reg["state"] != "Registered":
            critical.append(
                f"chan_sip registration {reg['username']}@{reg['host']} is {reg['state']}"
            )
    for ep in metrics.get("endpoints") or []:
        if ep["trunk"] and ep["device_state"] == "Unavailable":
            critical.append(f"trunk {ep['name']} is Unavailable")
    for contact in metrics.get("contacts") or []:
        if contact["status"] == "Unreachable":
            where = critical if contact["trunk"] else warning
            where.append(f"contact {contact['uri']} of {contact['endpoint']} is Unreachable")
    for peer in metrics.get("sip_peers") or []:
        if peer["status"].startswith("UNREACHABLE"):
            (critical if peer["trunk"] else warning).append(
                f"SIP peer {peer['name']} is UNREACHABLE"
            )
    warning += _missing_trunks(metrics, settings)
    warning += [f"{action} failed: {message}" for action, message in metrics["errors"].items()]
    status = "critical" if critical else "warning" if warning else "ok"
    return status, critical + warning


def _missing_trunks(metrics: Metrics, settings: AsteriskSettings) -> list[str]:
    if metrics.get("endpoints") is None and metrics.get("sip_peers") is None:
        return []  # nothing was listed, so nothing can be said to be missing
    known = {ep["name"] for ep in metrics.get("endpoints") or []}
    known |= {peer["name"] for peer in metrics.get("sip_peers") or []}
    return [
        f"configured trunk {name} does not exist in Asterisk"
        for name in settings.trunks
        if name not in known
    ]


def detect_events(previous: Metrics | None, current: Metrics) -> list[dict[str, Any]]:
    """Restart and reload events from two consecutive samples' metrics.

    Pass the last metrics that carried a ``startup_at`` as ``previous``: a cycle where AMI was
    down has none, and comparing against it would hide a restart made during the outage. A
    restart also moves the reload time, so it is reported once, as a restart.
    """
    if not previous:
        return []
    old_start, new_start = previous.get("startup_at"), current.get("startup_at")
    if old_start and new_start and old_start != new_start:
        detail = f"Asterisk restarted at {new_start} (it had been up since {old_start})"
        return [{"kind": "asterisk_restart", "at": new_start, "detail": detail}]
    old_reload, new_reload = previous.get("reload_at"), current.get("reload_at")
    if old_reload and new_reload and old_reload != new_reload:
        detail = f"Asterisk configuration reloaded at {new_reload} (previous reload {old_reload})"
        return [{"kind": "asterisk_reload", "at": new_reload, "detail": detail}]
    return []
