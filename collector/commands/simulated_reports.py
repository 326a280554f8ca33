"""The agent report a simulated host sends: every agent-reported check key a scenario names,
shaped as the real agent's probes report it, so the engine's own rules
(``collector.domain.rules``) read the status back.

A key is a family (``disk:/`` is ``disk:`` with the mount ``/``) and the statuses the rules can
give it: a process is running or not (ok, critical), a phone endpoint is reachable or a warning.

And how many of those reports a change takes before the engine has settled it
(``settle_after``): the simulation sends no more after that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collector.config.settings import CollectorConfig
from collector.domain.policy import Levels, PolicyBook, Thresholds

OK, WARNING, CRITICAL = "ok", "warning", "critical"


@dataclass(frozen=True)
class KeyFamily:
    prefix: str  #: ``disk:`` takes a name after it; ``sip`` (no colon) is the whole key
    statuses: tuple[str, ...]
    means: str


#: Every check key an agent report can raise (``collector.domain.rules``), in README order.
FAMILIES = (
    KeyFamily("disk:", (OK, WARNING, CRITICAL), "a filesystem's space (disk:/, disk:/var)"),
    KeyFamily("inodes:", (OK, WARNING, CRITICAL), "a filesystem's inodes"),
    KeyFamily("service:", (OK, CRITICAL), "a process running (service:asterisk)"),
    KeyFamily("unit:", (OK, WARNING, CRITICAL), "a systemd unit (warning: restarting)"),
    KeyFamily("port:", (OK, CRITICAL), "a listening port (port:5038, port:5060/udp)"),
    KeyFamily("probe:", (OK, CRITICAL), "an agent probe failing to run (probe:asterisk)"),
    KeyFamily("asterisk.ami", (OK, WARNING, CRITICAL), "AMI (warning: login refused)"),
    KeyFamily("asterisk.registration:", (OK, CRITICAL), "a trunk's outbound registration"),
    KeyFamily("asterisk.trunk:", (OK, CRITICAL), "a trunk endpoint or peer reachable"),
    KeyFamily("asterisk.endpoint:", (OK, WARNING), "a phone endpoint reachable"),
    KeyFamily("sip", (OK, WARNING, CRITICAL), "the agent's SIP OPTIONS ping of its PBX"),
)
_SIP_STATE = {OK: "up", WARNING: "degraded", CRITICAL: "down"}


def family_of(key: str) -> KeyFamily | None:
    """The family of an agent-reported check key; None for a key no agent report raises."""
    for family in FAMILIES:
        if not family.prefix.endswith(":"):
            if key == family.prefix:
                return family
        elif key.startswith(family.prefix) and len(key) > len(family.prefix):
            return family
    return None


def key_problem(key: str, status: str) -> str | None:
    """Why an event cannot set ``key`` to ``status``, or None when it can."""
    family = family_of(key)
    if family is None:
        prefixes = ", ".join(
            f.prefix + ("NAME" if f.prefix.endswith(":") else "") for f in FAMILIES
        )
        return f"{key!r} is not an agent-reported check key; one of {prefixes}"
    if status not in family.statuses:
        return f"{key!r} is {' or '.join(family.statuses)}, never {status}"
    return None


def _level(levels: Levels, status: str) -> float:
    """A reading the levels classify as ``status``, well clear of the hysteresis band."""
    if status == CRITICAL:
        return (levels.critical + 100.0) / 2
    if status == WARNING:
        return (levels.warning + levels.critical) / 2
    return max(0.0, levels.warning - levels.hysteresis) / 2


def probes_for(config: CollectorConfig, statuses: Mapping[str, str]) -> dict[str, Any]:
    """The report's ``probes``: each key in ``statuses`` (check key → status) as the agent
    would report it; the system probe always runs, the others when a key of theirs is named."""
    m = config.monitoring
    disk, inodes = Levels(m.disk_warning_percent, m.disk_critical_percent, 5.0), Thresholds().inodes
    filesystems: dict[str, dict[str, float]] = {}
    services: dict[str, dict[str, Any]] = {"processes": {}, "units": {}, "ports": {}}
    asterisk: dict[str, Any] = {"reachable": True, "registrations": [], "endpoints": []}
    metrics = {"system": {"filesystems": filesystems}, "services": services, "asterisk": asterisk}
    named = {"system"}
    for key, status in statuses.items():
        thing = key.partition(":")[2]
        if key.startswith("disk:"):
            filesystems.setdefault(thing, {"inodes_used_percent": _level(inodes, OK)})
            filesystems[thing]["used_percent"] = _level(disk, status)
        elif key.startswith("inodes:"):
            filesystems.setdefault(thing, {"used_percent": _level(disk, OK)})
            filesystems[thing]["inodes_used_percent"] = _level(inodes, status)
        elif key.startswith(("service:", "unit:", "port:")):
            named.add("services")
            _service(services, key, thing, status)
        elif key.startswith("asterisk."):
            named.add("asterisk")
            _asterisk(asterisk, key, thing, status)
        elif key == "sip":
            metrics["sip"] = {"state": _SIP_STATE[status]}
            named.add("sip")
        else:  # probe:NAME
            named.add(thing)
    probes: dict[str, Any] = {}
    for name in sorted(named):
        if statuses.get(f"probe:{name}", OK) == OK:
            probes[name] = {"status": "ok", "metrics": metrics.get(name, {}), "error": None}
        else:
            probes[name] = {"status": "error", "metrics": {}, "error": f"{name} probe failed"}
    return probes


def _service(services: dict[str, dict[str, Any]], key: str, thing: str, status: str) -> None:
    if key.startswith("service:"):
        services["processes"][thing] = {"running": status == OK}
    elif key.startswith("port:"):
        services["ports"][thing] = {"listening": status == OK}
    else:
        restarts = 1 if status == WARNING else 0
        services["units"][thing] = {"active": status != CRITICAL, "restarts": restarts}


def _asterisk(asterisk: dict[str, Any], key: str, thing: str, status: str) -> None:
    if key == "asterisk.ami":
        asterisk["reachable"] = status != CRITICAL
        asterisk["logged_in"] = status != WARNING
    elif key.startswith("asterisk.registration:"):
        word = "Registered" if status == OK else "Rejected"
        asterisk["registrations"].append({"name": thing, "status": word})
    else:
        state = "Not in use" if status == OK else "Unavailable"
        trunk = key.startswith("asterisk.trunk:")
        asterisk["endpoints"].append({"name": thing, "trunk": trunk, "device_state": state})


def settle_count(policies: PolicyBook | None = None) -> int:
    """Readings after a change that bring the engine to rest: enough to raise or recover
    under the slowest policy."""
    policies = policies or PolicyBook()
    every = [policies.default, *(policy for _, policy in policies.overrides)]
    return max(max(p.raise_after or 1, p.recover_after) for p in every)


#: Agent check keys that reach the engine as named (``collector.domain.rules``), so their own
#: policy says how many readings settle them. Other keys settle after ``settle_count``.
_OWN_POLICY_FAMILIES = ("disk:", "inodes:", "service:", "unit:", "port:")


def settle_after(key: str, status: str, policies: PolicyBook | None = None) -> int:
    """Readings after ``key`` turned ``status`` that bring its check to rest: as many as its
    policy needs to raise (a critical local fact raises on one) or to recover. A reading
    after that changes only counters no decision reads again (the bad count once raised, the
    good count once recovered), so the reports it would take are left out like a quiet
    host's."""
    policies = policies or PolicyBook()
    if not key.startswith(_OWN_POLICY_FAMILIES):
        return settle_count(policies)
    policy = policies.for_check(key)
    if policy.raise_for_s is not None:
        return settle_count(policies)  # raised by time, not by count: as any other key
    if status == "ok":
        return policy.recover_after
    if status == "critical" and policy.raise_after_critical is not None:
        return policy.raise_after_critical
    return policy.raise_after or 1
