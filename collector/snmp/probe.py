"""One SNMP poll as a probe verdict, for ``faultdesk-collector probe snmp``.

With ``--oid``, the objects asked for: OK when the agent answers them all. Without, the
profile's alarm objects (the Mitel 3300's by default): the alarm level decides the verdict,
as it decides the host's fault (minor and major WARNING, critical CRITICAL).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from collector.domain import snmp_profiles as profiles
from collector.domain.snmp_profiles import Profile
from collector.probes.base import ProbeResult, Verdict
from collector.snmp.poller import Poller, PollError
from collector.store.snmp import SnmpAgent

_LEVEL_VERDICT = {
    "ok": Verdict.OK,
    "minor": Verdict.WARNING,
    "major": Verdict.WARNING,
    "critical": Verdict.CRITICAL,
}


async def probe_snmp(
    agent: SnmpAgent, profile: Profile, oids: Sequence[str] = (), *, timeout_s: float = 2.0,
    retries: int = 1,
) -> ProbeResult:  # fmt: skip
    target = f"{agent.address}:{agent.port}"
    poller = Poller(timeout_s=timeout_s, retries=retries)
    started = time.perf_counter()
    try:
        if oids:
            answer = await poller.poll(agent, list(oids))
        else:
            answer = await poller.poll(agent, *_alarm_objects(profile))
    except PollError as exc:
        return ProbeResult("snmp", target, Verdict.CRITICAL, None, f"no answer: {exc}")
    finally:
        poller.close()
    latency_ms = (time.perf_counter() - started) * 1000
    if oids:
        missing = [oid for oid in oids if oid not in answer.values]
        shown = ", ".join(f"{oid} = {answer.values[oid]}" for oid in oids if oid in answer.values)
        if missing:
            detail = f"no such object: {', '.join(missing)}" + (f"; {shown}" if shown else "")
            return ProbeResult("snmp", target, Verdict.WARNING, latency_ms, detail, answer.values)
        return ProbeResult("snmp", target, Verdict.OK, latency_ms, shown, answer.values)
    return _alarm_verdict(profile, target, latency_ms, answer.values, answer.columns)


def _alarm_objects(profile: Profile) -> tuple[list[str], list[str]]:
    spec = profile.poll
    if spec is None:
        return [profiles.SYS_DESCR], []
    columns = [c for c in (spec.table_name, spec.table_level) if c]
    return [spec.level, profiles.SYS_DESCR], columns


def _alarm_verdict(
    profile: Profile,
    target: str,
    latency_ms: float,
    values: dict[str, Any],
    columns: dict[str, dict[str, Any]],
) -> ProbeResult:
    descr = str(values.get(profiles.SYS_DESCR, "")).strip()
    spec = profile.poll
    if spec is None:
        return ProbeResult("snmp", target, Verdict.OK, latency_ms, f"answering: {descr}")
    level = profiles.level_of(spec.values, values.get(spec.level))
    if level is None:
        detail = f"{profile.label} not readable ({spec.level}); {descr}"
        return ProbeResult("snmp", target, Verdict.WARNING, latency_ms, detail, values)
    names = columns.get(spec.table_name or "", {})
    levels = columns.get(spec.table_level or "", {})
    in_alarm = [
        f"{names[i]} ({profiles.level_of(spec.values, levels.get(i))})"
        for i in names
        if profiles.level_of(spec.values, levels.get(i)) not in (None, "ok")
    ]
    detail = f"{profile.label}: {level}"
    if in_alarm:
        detail += f"; in alarm: {', '.join(in_alarm)}"
    if descr:
        detail += f"; {descr}"
    return ProbeResult("snmp", target, _LEVEL_VERDICT[level], latency_ms, detail, values)
