"""Rules: agent reports and collector probe results become observations of checks.

Check keys name one thing watched on one host::

    agent.heartbeat                the agent's reports arrive
    probe:<name>                   an agent probe ran (status "error" is unknown)
    disk:<mount>, inodes:<mount>   filesystem space and inodes, with hysteresis
    service:<name>, unit:<unit>, port:<port>       processes, systemd units, listening ports
    asterisk.ami                   AMI answers (down: PBX down)
    asterisk.registration:<name>   outbound trunk registration
    asterisk.trunk:<name>          trunk endpoint or peer reachable
    asterisk.endpoint:<name>       phone endpoint or peer reachable
    sip                            the agent's SIP OPTIONS ping of the local PBX
    remote.<kind>[:<name>]         remote access from the vendor: ssh, http, sip, tcp
    ssh.hostkey                    the host key is the pinned one
    cert.http[:<name>]             days left on the TLS certificate

Reports are tolerated as they come: a missing key yields fewer observations, never an error,
and a check with no observation keeps its state (an absent reading is not a recovery).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from collector.domain.policy import Levels, Status, Thresholds, from_iso
from collector.domain.watches import Observation, WatchState

HEARTBEAT = "agent.heartbeat"
AMI = "asterisk.ami"
HOSTKEY = "ssh.hostkey"
_CERT_PROBLEM = "certificate expires"  # how the HTTP probe words an expiry-only problem
_SIP_STATUS = {"up": Status.OK, "degraded": Status.WARNING, "down": Status.CRITICAL}
_VERDICT_STATUS = {"ok": Status.OK, "warning": Status.WARNING, "critical": Status.CRITICAL}

Previous = Mapping[str, WatchState]

#: Every kind of host there is: the inventory's choices, the overview's filter.
HOST_KINDS = ("server", "pbx", "mitel")
#: Kinds of host that cannot run the agent (a Mitel PBX is watched over SNMP): no heartbeat.
AGENTLESS_KINDS = frozenset({"mitel"})


def heartbeat_deadline(
    last_report_at: datetime, interval_s: float, missed_intervals: int = 3
) -> datetime:
    """When an agent last heard from at ``last_report_at`` counts as silent."""
    return last_report_at + timedelta(seconds=missed_intervals * interval_s)


def heartbeat_observation(
    last_report_at: datetime, interval_s: float, now: datetime, missed_intervals: int = 3
) -> Observation:
    """Critical once the agent has been silent for ``missed_intervals`` report intervals.
    For a host that never reported, pass the time it was registered."""
    silent_s = _silent_s(last_report_at, now)
    if silent_s >= missed_intervals * interval_s:
        detail = f"agent silent for {silent_s / 60:.0f} min ({missed_intervals} intervals missed)"
        return Observation(HEARTBEAT, now, Status.CRITICAL, silent_s, detail)
    return Observation(HEARTBEAT, now, Status.OK, silent_s, "agent reporting")


def heartbeat_silent(
    last_report_at: datetime, interval_s: float, now: datetime, missed_intervals: int = 3
) -> bool:
    """Whether ``heartbeat_observation`` is critical (by the same arithmetic, to the bit)."""
    return _silent_s(last_report_at, now) >= missed_intervals * interval_s


def _silent_s(last_report_at: datetime, now: datetime) -> float:
    return max(0.0, (now - last_report_at).total_seconds())


def observations_from_report(
    report: Mapping[str, Any], thresholds: Thresholds, previous: Previous | None = None
) -> list[Observation]:
    """Every observation one agent report supports. ``previous`` (check key → state) gives
    the last status of threshold checks, for hysteresis."""
    at = from_iso(report["sampled_at"])
    found: list[Observation] = []
    for name, probe in (report.get("probes") or {}).items():
        if not isinstance(probe, Mapping):
            continue
        failed = probe.get("status") == "error"
        status = Status.UNKNOWN if failed else Status.OK
        found.append(Observation(f"probe:{name}", at, status, None, probe.get("error") or ""))
        metrics = probe.get("metrics")
        rule = _REPORT_RULES.get(name)
        if rule is not None and isinstance(metrics, Mapping):
            found += rule(metrics, at, thresholds, previous or {})
    return found


def _system(m: Mapping[str, Any], at: datetime, t: Thresholds, prev: Previous) -> list[Observation]:
    found = []
    for mount, fs in _filesystems(m.get("filesystems")):
        used = _number(fs.get("used_percent", fs.get("percent")))
        if used is not None:
            found.append(
                _level(f"disk:{mount}", at, used, t.disk, prev, f"{mount} {used:.0f}% full")
            )
        inodes = _number(fs.get("inodes_used_percent", fs.get("inodes_percent")))
        if inodes is not None and fs.get("inodes_total") != 0:
            detail = f"{mount} {inodes:.0f}% of inodes used"
            found.append(_level(f"inodes:{mount}", at, inodes, t.inodes, prev, detail))
    return found


def _filesystems(value: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The agent reports a dict keyed by mount point; a list of dicts is accepted too."""
    if isinstance(value, Mapping):
        yield from ((str(k), v) for k, v in value.items() if isinstance(v, Mapping))
    elif isinstance(value, list):
        yield from ((str(fs["mountpoint"]), fs) for fs in value
                    if isinstance(fs, Mapping) and "mountpoint" in fs)  # fmt: skip


def _level(
    key: str, at: datetime, value: float, levels: Levels, prev: Previous, detail: str
) -> Observation:
    last = prev.get(key)
    return Observation(
        key, at, levels.classify(value, last.status if last else None), value, detail
    )


def _services(
    m: Mapping[str, Any], at: datetime, t: Thresholds, prev: Previous
) -> list[Observation]:
    found = []
    for name, process in _items(m.get("processes")):
        running = process.get("running") if isinstance(process, Mapping) else process
        if isinstance(running, bool):
            status = Status.OK if running else Status.CRITICAL
            word = "running" if running else "not running"
            found.append(Observation(f"service:{name}", at, status, None, f"process {name} {word}"))
    for unit, info in _items(m.get("units")):
        found += _unit(unit, info, at)
    for port, info in _items(m.get("ports")):
        listening = info.get("listening") if isinstance(info, Mapping) else info
        if isinstance(listening, bool):
            status = Status.OK if listening else Status.CRITICAL
            word = "listening" if listening else "not listening"
            found.append(Observation(f"port:{port}", at, status, None, f"port {port} {word}"))
    return found


def _unit(unit: str, info: Any, at: datetime) -> list[Observation]:
    """Down is critical; restarted since the last report is a warning, so a unit caught in a
    restart loop raises a fault while a single restart does not (two in a row are needed)."""
    if not isinstance(info, Mapping) or not isinstance(info.get("active"), bool):
        return []
    state = info.get("active_state") or ("active" if info["active"] else "inactive")
    restarts = _number(info.get("restarts")) or 0.0
    if not info["active"]:
        status, detail = Status.CRITICAL, f"unit {unit} is {state}"
    elif restarts > 0:
        status, detail = Status.WARNING, f"unit {unit} restarted {restarts:.0f}x since last report"
    else:
        status, detail = Status.OK, f"unit {unit} is {state}"
    return [Observation(f"unit:{unit}", at, status, restarts, detail)]


def _asterisk(
    m: Mapping[str, Any], at: datetime, t: Thresholds, prev: Previous
) -> list[Observation]:
    reachable, logged_in = m.get("reachable"), m.get("logged_in", True)
    if reachable is False:
        return [Observation(AMI, at, Status.CRITICAL, None, "PBX down: AMI not answering")]
    if reachable is True and logged_in is False:
        return [Observation(AMI, at, Status.WARNING, None, "AMI refuses the monitoring login")]
    found = [Observation(AMI, at, Status.OK, None, "AMI answering")] if reachable else []
    for reg in _rows(m.get("registrations")):
        found.append(_registration(reg.get("name"), reg.get("status"), at))
    for reg in _rows(m.get("sip_registry")):
        found.append(
            _registration(f"{reg.get('username')}@{reg.get('host')}", reg.get("state"), at)
        )
    unreachable = {
        c.get("endpoint") for c in _rows(m.get("contacts")) if c.get("status") == "Unreachable"
    }
    for ep in _rows(m.get("endpoints")):
        down = ep.get("device_state") == "Unavailable" or ep.get("name") in unreachable
        found.append(_peer(ep.get("name"), bool(ep.get("trunk")), down, at))
    for peer in _rows(m.get("sip_peers")):
        down = str(peer.get("status", "")).startswith("UNREACHABLE")
        found.append(_peer(peer.get("name"), bool(peer.get("trunk")), down, at))
    return found


def _registration(name: Any, status: Any, at: datetime) -> Observation:
    ok = status == "Registered"
    detail = f"trunk registration {name} is {status}"
    return Observation(f"asterisk.registration:{name}", at, Status.OK if ok else Status.CRITICAL,
                       None, detail)  # fmt: skip


def _peer(name: Any, trunk: bool, down: bool, at: datetime) -> Observation:
    """A trunk that cannot be reached is critical; a phone is a warning (policy: minor)."""
    kind = "trunk" if trunk else "endpoint"
    status = Status.OK if not down else Status.CRITICAL if trunk else Status.WARNING
    detail = f"{kind} {name} {'unavailable' if down else 'available'}"
    return Observation(f"asterisk.{kind}:{name}", at, status, None, detail)


def _sip(m: Mapping[str, Any], at: datetime, t: Thresholds, prev: Previous) -> list[Observation]:
    status = _SIP_STATUS.get(str(m.get("state")))
    if status is None:
        return []
    answer = " ".join(str(part) for part in (m.get("code"), m.get("reason")) if part)
    return [
        Observation(
            "sip", at, status, _number(m.get("rtt_ms")), f"SIP {m['state']} {answer}".strip()
        )
    ]


_REPORT_RULES = {"system": _system, "services": _services, "asterisk": _asterisk, "sip": _sip}


def observations_from_probe(
    kind: str,
    verdict: str,
    detail: str,
    data: Mapping[str, Any],
    at: datetime,
    *,
    name: str | None = None,
    thresholds: Thresholds | None = None,
    previous: Previous | None = None,
) -> list[Observation]:
    """A collector probe result (``ProbeResult`` fields) as observations: remote access, and
    for SSH the pinned host key, for HTTPS the certificate's remaining days."""
    suffix = f":{name}" if name else ""
    status = _VERDICT_STATUS.get(str(verdict).lower(), Status.UNKNOWN)
    found = []
    if kind == "ssh" and isinstance(data.get("host_key_changed"), bool):
        changed = data["host_key_changed"]
        key_status = Status.CRITICAL if changed else Status.OK
        found.append(
            Observation(
                HOSTKEY + suffix, at, key_status, None, detail if changed else "host key as pinned"
            )
        )
        if changed:  # it answered, so it is reachable; no login is tried with a changed key
            status, detail = Status.OK, "reachable (host key changed, login not attempted)"
    if kind == "http" and _number(data.get("cert_days_left")) is not None:
        days = float(data["cert_days_left"])
        levels = (thresholds or Thresholds()).cert_days
        last = (previous or {}).get("cert.http" + suffix)
        cert = levels.classify(days, last.status if last else None)
        found.append(
            Observation(
                "cert.http" + suffix, at, cert, days, f"certificate expires in {days:.0f} days"
            )
        )
        if status is not Status.OK and _only_cert_problems(detail):
            status = Status.OK  # the site answers; the expiry is the certificate check's business
    found.append(Observation(f"remote.{kind}{suffix}", at, status, None, detail))
    return found


def _only_cert_problems(detail: str) -> bool:
    problems = [part.strip() for part in detail.split(";")][:-1]  # the last part lists facts
    return bool(problems) and all(p.startswith(_CERT_PROBLEM) for p in problems)


def _items(value: Any) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in value.items()] if isinstance(value, Mapping) else []


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
