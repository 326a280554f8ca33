"""SNMP traps and poll answers through the fault engine, with the host's status and timeline.

    traps ─profile─▶ readings ─▶ snmp.alarm / snmp.restart observations, host events
    poll  ─profile─▶ remote.snmp (answered or not), the alarm level with the categories in alarm

Like probe results, what a trap or poll found and the faults it raises are committed together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain import snmp_profiles as profiles
from collector.domain.snmp_profiles import Profile
from collector.domain.watches import Observation
from collector.engine import pipeline
from collector.store import faults as fault_store
from collector.store import inventory, watch_states
from collector.store import snmp as snmp_store
from collector.store.locks import hold_evaluation_lock
from collector.store.snmp import AlarmStatus, ReceivedTrap


@dataclass(frozen=True)
class PollOutcome:
    """One poll of one host: the objects it read, or why it got no answer."""

    host_id: str
    at: datetime
    values: dict[str, Any]
    columns: dict[str, dict[str, Any]]
    error: str = ""


def record_traps(
    conn: Connection, config: CollectorConfig, traps: Sequence[ReceivedTrap], now: datetime
) -> set[str]:
    """Evaluate received traps (claimed by the caller); returns the hosts they came from."""
    hold_evaluation_lock(conn)
    by_host: dict[str, list[ReceivedTrap]] = defaultdict(list)
    for trap in traps:
        by_host[trap.host_id].append(trap)
    run = pipeline.Run(conn, config, now)
    for host_id, host_traps in by_host.items():
        agent = snmp_store.get_agent(conn, host_id)
        profile = _profile(config, agent.profile if agent else None)
        if profile is None:
            continue
        status = snmp_store.load_status(conn, host_id)
        found: list[Observation] = []
        for trap in sorted(host_traps, key=lambda t: (t.received_at, t.id)):
            reading = profiles.read_trap(
                profile, trap.notification, trap.varbinds, trap.received_at
            )
            found += reading.observations
            for kind, detail in reading.events:
                snmp_store.add_event(conn, host_id, trap.received_at, kind, detail, trap.count)
            before, status = status, _after_trap(status, trap, reading)
            _note_level_change(conn, before, status, reading.observations, trap.received_at)
        snmp_store.save_status(conn, status, now)
        _observe(run, host_id, found)
    run.announce_openings()
    return set(by_host)


def record_polls(
    conn: Connection, config: CollectorConfig, polls: Sequence[PollOutcome], now: datetime
) -> int:
    hold_evaluation_lock(conn)
    run = pipeline.Run(conn, config, now)
    done = 0
    details: dict[str, Observation] = {}
    for poll in polls:
        agent = snmp_store.get_agent(conn, poll.host_id)
        profile = _profile(config, agent.profile if agent else None)
        if profile is None:
            continue  # removed while it was being polled
        before = snmp_store.load_status(conn, poll.host_id)
        found, status = _poll_reading(profile, poll, before)
        _note_level_change(conn, before, status, found, poll.at)
        settled = profiles.restart_settled(profile, status.restarted_at, poll.at)
        if settled is not None:
            found.append(settled)
        snmp_store.save_status(conn, status, now)
        _observe(run, poll.host_id, found)
        for observation in found:
            if observation.check_key == profile.alarm_key:
                details[poll.host_id] = observation
        done += 1
    run.announce_openings()
    # The categories in alarm change while the level stays (no transition): the open fault
    # shows the poll's list. Done after the run's decisions, which read faults once.
    for host_id, observation in details.items():
        fault_store.refresh_detail(conn, host_id, observation.check_key, observation.detail, now)
    return done


def _poll_reading(
    profile: Profile, poll: PollOutcome, status: AlarmStatus
) -> tuple[list[Observation], AlarmStatus]:
    if poll.error:
        detail = f"SNMP poll unanswered: {poll.error}"
        return [profiles.reachability(False, detail, poll.at)], replace(
            status, polled_at=poll.at, poll_error=poll.error
        )
    found = [profiles.reachability(True, "SNMP answering", poll.at)]
    status = replace(
        status,
        polled_at=poll.at,
        poll_error="",
        sys_descr=str(poll.values.get(profiles.SYS_DESCR, status.sys_descr)),
    )
    spec = profile.poll
    if spec is None:
        return found, status
    level = profiles.level_of(spec.values, poll.values.get(spec.level))
    if level is None:
        return found, status
    categories = _categories(spec, poll.columns)
    found.append(profiles.alarm_observation(profile, level, poll.at, categories))
    return found, replace(status, level=level, categories=categories)


def _categories(
    spec: profiles.AlarmPoll, columns: dict[str, dict[str, Any]]
) -> list[dict[str, str]]:
    """The table's rows still in alarm, by name, with their level words."""
    names = columns.get(spec.table_name or "", {})
    levels = columns.get(spec.table_level or "", {})
    rows = []
    for index in sorted(names, key=_index_key):
        level = profiles.level_of(spec.values, levels.get(index))
        if level is not None and level != "ok":
            rows.append({"name": str(names[index]), "level": level})
    return rows


def _index_key(index: str) -> tuple[int, ...]:
    return tuple(int(part) for part in index.split(".") if part.isdigit())


def _after_trap(status: AlarmStatus, trap: ReceivedTrap, reading: profiles.Reading) -> AlarmStatus:
    changes: dict[str, Any] = {
        "traps_total": status.traps_total + trap.count,
        "last_trap_at": trap.received_at,
    }
    if reading.level is not None:
        changes["level"] = reading.level
        if reading.level == "ok":
            changes["categories"] = []
    if reading.restarted:
        changes["restarted_at"] = trap.received_at
    return replace(status, **changes)


def _note_level_change(
    conn: Connection,
    before: AlarmStatus,
    after: AlarmStatus,
    found: Sequence[Observation],
    at: datetime,
) -> None:
    """The alarm level's history, on the host's timeline: one event per change."""
    if after.level is None or after.level == before.level:
        return
    alarms = (o.detail for o in found if o.check_key.startswith(profiles.ALARM + ":"))
    detail = next(alarms, after.level)
    snmp_store.add_event(conn, after.host_id, at, "alarm", detail)


def _observe(run: pipeline.Run, host_id: str, found: list[Observation]) -> None:
    if not found:
        return
    try:
        host = inventory.get_host(run.conn, host_id)
    except inventory.NotFound:
        return
    states = watch_states.load(run.conn, host_id)
    pipeline.observe(run, host, found, states)


def _profile(config: CollectorConfig, name: str | None) -> Profile | None:
    return None if name is None else config.snmp.profile_book.get(name)
