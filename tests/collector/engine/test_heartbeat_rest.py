"""The heartbeat sweep evaluates only the hosts whose heartbeat can change, and decides what
evaluating every host decides.

The reference is the sweep as it was: every watched host's heartbeat read, folded and saved,
every sweep. The same timeline (agents that report, one that never does, one that falls
silent and comes back, one whose reports come and go until it flaps, an agentless PBX and an
archived host) goes into two databases of the same kind, one swept with the reference and one
with the pipeline. Every fault, event, incident and mail must come out the same, ids included,
and each sweep must name the same next silence. So must every check state, except what an ok
at rest leaves unread (``watches.at_rest``): its time, value, detail and count of oks; and
what a critical leaves unread in a raised fault steady at critical (``watches.steady_failing``):
its time, value, detail and count of bad readings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from agent import protocol
from collector.config.settings import CollectorConfig, MailSettings
from collector.domain import rules
from collector.domain.policy import PolicyBook
from collector.domain.watches import WatchState, at_rest, steady_failing
from collector.engine import pipeline
from collector.store import archive, inventory, watch_states
from collector.store.database import Database
from collector.store.locks import hold_evaluation_lock
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import check_states, fault_events, faults, incidents, outbox
from tests.support.database import another_database_url, migrated_database

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
MINUTES = 40
LAST_SWEEP = MONDAY + timedelta(minutes=MINUTES - 1, seconds=50)
STEADY = ["steady-1", "steady-2", "steady-3"]
Sweeper = Callable[[Connection, CollectorConfig, datetime], datetime | None]


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"mail": MailSettings(noc="noc@vendor.example")}


def _folding_every_host(
    conn: Connection, config: CollectorConfig, now: datetime
) -> datetime | None:
    """The reference: the sweep folding a heartbeat into every watched host."""
    hold_evaluation_lock(conn)
    run = pipeline.Run(conn, config, now)
    missed = config.monitoring.heartbeat_missed_intervals
    hosts = [h for h in inventory.list_hosts(conn) if h.kind not in rules.AGENTLESS_KINDS]
    states = watch_states.load_many(conn, [host.id for host in hosts], [rules.HEARTBEAT])
    next_silence: datetime | None = None
    for host in hosts:
        last = host.last_seen_at or host.created_at
        heartbeat = rules.heartbeat_observation(last, host.heartbeat_interval_s, now, missed)
        pipeline.observe(run, host, [heartbeat], states[host.id])
        deadline = rules.heartbeat_deadline(last, host.heartbeat_interval_s, missed)
        if deadline > now and (next_silence is None or deadline < next_silence):
            next_silence = deadline
    run.announce_openings()
    pipeline.mail_owed(run)
    return next_silence


def _seed(conn: Connection) -> None:
    for customer in ("acme", "bolt"):
        inventory.add_customer(conn, customer, f"{customer.title()} Ltd", MONDAY)
        inventory.set_contacts(conn, customer, [("Jo", f"jo@{customer}.example")])
    for host in STEADY:
        inventory.add_host(conn, host, "acme", MONDAY, kind="pbx", interval_s=60)
    inventory.add_host(conn, "never", "acme", MONDAY, kind="pbx", interval_s=60)
    inventory.add_host(conn, "quits", "bolt", MONDAY, kind="pbx")  # the agent's interval
    inventory.add_host(conn, "flappy", "bolt", MONDAY, kind="pbx", interval_s=20)
    inventory.add_host(conn, "mitel", "bolt", MONDAY, kind="mitel")
    inventory.add_host(conn, "gone", "bolt", MONDAY, kind="pbx", interval_s=60)
    archive.archive_hosts(conn, ["gone"], MONDAY, "replaced")


def _reporting(minute: int) -> list[str]:
    """Who reports in this minute: the steady ones always; ``quits`` until minute 4 and from
    minute 14; ``flappy`` (silent after a minute) every other few minutes, then for good."""
    hosts = list(STEADY)
    if minute < 4 or minute >= 14:
        hosts.append("quits")
    if minute % 4 < 2 or minute >= 30:
        hosts.append("flappy")
    return hosts


def _timeline(db: Database, config: CollectorConfig, sweeper: Sweeper) -> list[datetime | None]:
    """Reports every minute from those reporting, then sweeps at 30 s and 50 s past it: what
    each sweep said of the next silence."""
    db.transaction(_seed)
    said = []
    for minute in range(MINUTES):
        at = MONDAY + timedelta(minutes=minute)
        reports = [
            IncomingReport(host, minute + 1, at, protocol.build_report(
                host_id=host, seq=minute + 1, sampled_at=at, interval_s=120.0,
                agent_version="t", probes={},
            ))
            for host in _reporting(minute)
        ]  # fmt: skip
        db.transaction(store_reports, reports, at)
        db.transaction(pipeline.process_reports, config, at)
        for seconds in (30, 50):
            said.append(db.transaction(sweeper, config, at + timedelta(seconds=seconds)))
    return said


def _outcome(conn: Connection) -> dict[str, list[Any]]:
    """Every row the engine writes, in id order; check states as states, with what an ok at
    rest leaves unread blanked out."""
    tables = {"faults": faults, "events": fault_events, "incidents": incidents, "mail": outbox}
    found: dict[str, list[Any]] = {
        name: list(conn.execute(select(t).order_by(t.c.id))) for name, t in tables.items()
    }
    rows = conn.execute(
        select(check_states).order_by(check_states.c.host_id, check_states.c.check_key)
    )
    found["states"] = [(row.host_id, _apart_from_unread(row)) for row in rows]
    return found


def _apart_from_unread(row: Any) -> tuple[WatchState, datetime | None]:
    state = WatchState.from_json(row.state)
    policy = PolicyBook().for_check(state.check_key)
    # The changes the last sweep's window has left behind: it drops them, or the next does.
    horizon = LAST_SWEEP - timedelta(seconds=policy.flap_window_s)
    changes = tuple(t for t in state.changes if t > horizon)
    if at_rest(state, policy):
        blanked = replace(state, observed_at=None, value=None, detail="", good_count=0)
        return replace(blanked, changes=changes), None
    if steady_failing(state, policy):
        blanked = replace(state, observed_at=None, value=None, detail="", bad_count=0)
        return replace(blanked, changes=changes), None
    return state, row.updated_at


def _heartbeat_saved_at(conn: Connection, host_id: str) -> datetime:
    query = select(check_states.c.updated_at).where(
        check_states.c.host_id == host_id, check_states.c.check_key == rules.HEARTBEAT
    )
    found = conn.scalar(query)
    assert found is not None
    return found


def test_it_decides_what_folding_a_heartbeat_into_every_host_decides(
    database_url: str, tmp_path: Path, config: CollectorConfig
) -> None:
    with (
        another_database_url(database_url, tmp_path) as other,
        migrated_database(other) as reference,
    ):
        expected_said = _timeline(reference, config, _folding_every_host)
        expected = reference.transaction(_outcome)
    with migrated_database(database_url) as db:
        said = _timeline(db, config, pipeline.sweep)
        found = db.transaction(_outcome)
        steady_saved = db.transaction(_heartbeat_saved_at, STEADY[0])
        never_saved = db.transaction(_heartbeat_saved_at, "never")
    assert said == expected_said
    assert found == expected
    # Not a vacuous comparison: there was something to decide, and something was left alone.
    keys = {(row.host_id, row.check_key) for row in found["faults"]}
    assert {("never", rules.HEARTBEAT), ("quits", rules.HEARTBEAT)} <= keys
    assert ("flappy", rules.HEARTBEAT) in keys
    assert any(row.kind == "flapping" for row in found["events"])
    # The steady agents' heartbeats were last written by their reports, not by the sweeps.
    assert steady_saved == MONDAY + timedelta(minutes=MINUTES - 1)
    # The agent that never reported fell silent at minute 3: its heartbeat was last written by
    # the first sweep after, which raised its fault, and left alone by every sweep after it.
    assert never_saved == MONDAY + timedelta(minutes=3, seconds=30)
