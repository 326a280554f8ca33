"""What the heartbeat sweep reads of every host: one row each, in its order, and whether the
host's heartbeat is at rest, or its fault raised and steady at critical, judged in SQL as
``watches.at_rest`` and ``watches.steady_failing`` judge the state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.sql.dml import Update

from collector.domain.policy import CheckPolicy, Severity, Status
from collector.domain.watches import WatchState, at_rest, steady_failing
from collector.store import archive, heartbeat_watch, inventory, watch_states
from collector.store.database import Database
from collector.store.schema import check_states, hosts

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
KEY = "agent.heartbeat"
OK = WatchState(KEY, Status.OK, 0.0, "agent reporting", T0, good_count=7)
STATES = {
    "a-ok": OK,
    "b-raised": replace(OK, raised=True, severity=Severity.MAJOR, good_count=1),
    # Flapping is raised too, in practice; the flag on its own here, to see it is read.
    "c-flapping": replace(OK, flapping=True, severity=Severity.MAJOR),
    "d-changed": replace(OK, changes=(T0 - timedelta(minutes=5),)),  # at rest all the same
    "d2-spell": replace(OK, changes=(T0 - timedelta(minutes=5),) * 6),  # as many as a spell
    "e-critical": replace(OK, status=Status.CRITICAL, bad_count=1, bad_since=T0, good_count=0),
    # A status found in the text is the state's own, not words quoted in its detail.
    "e2-quoting": replace(
        OK, status=Status.CRITICAL, detail='said "status": "ok"', bad_count=1, good_count=0
    ),
    "f-unknown": replace(OK, status=Status.UNKNOWN, bad_count=1, bad_since=T0, good_count=0),
}
SILENT = replace(
    OK, status=Status.CRITICAL, detail="agent silent", bad_count=9, bad_since=T0, good_count=0,
    last_bad_status=Status.CRITICAL, raised=True, severity=Severity.CRITICAL,
)  # fmt: skip
STATES |= {
    "f2-silent": SILENT,
    "f3-silent-major": replace(SILENT, severity=Severity.MAJOR),  # a critical would change it
    "f4-silent-changed": replace(SILENT, changes=(T0 - timedelta(minutes=5),)),
    "f45-silent-spell": replace(SILENT, changes=(T0 - timedelta(minutes=5),) * 6),
    "f5-silent-flapping": replace(SILENT, flapping=True),
    "f6-unknown-raised": replace(SILENT, status=Status.UNKNOWN, severity=Severity.MINOR),
}
POLICY = CheckPolicy()
FAILING = (Status.CRITICAL, POLICY)


def _fleet(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", T0)
    for host_id, state in STATES.items():
        inventory.add_host(conn, host_id, "acme", T0, kind="pbx")
        watch_states.save(conn, host_id, {KEY: state, "sip": OK}, T0)
    inventory.add_host(conn, "g-no-state", "acme", T0, kind="pbx", interval_s=20)
    inventory.add_host(conn, "h-mitel", "acme", T0, kind="mitel")
    inventory.add_host(conn, "i-gone", "acme", T0, kind="pbx")
    archive.archive_hosts(conn, ["i-gone"], T0, "replaced")
    # Only the heartbeat counts: another check at rest does not make a host's heartbeat so.
    watch_states.save(conn, "g-no-state", {"sip": OK}, T0)


def _watched(db: Database) -> list[heartbeat_watch.Watched]:
    return db.transaction(heartbeat_watch.watched_hosts, KEY, {"mitel"}, FAILING)


def _set(conn: Connection, statement: Update, **values: Any) -> None:
    conn.execute(statement.values(**values))


def test_it_reads_whether_each_watched_hosts_heartbeat_is_at_rest(db: Database) -> None:
    db.transaction(_fleet)
    found = _watched(db)
    assert [w.host_id for w in found] == [*STATES, "g-no-state"]
    expected = {host_id: at_rest(state, POLICY) for host_id, state in STATES.items()}
    assert {w.host_id: w.at_rest for w in found} == {**expected, "g-no-state": False}
    assert [k for k, v in expected.items() if v] == ["a-ok", "d-changed"]


def test_it_reads_whether_each_watched_hosts_heartbeat_is_raised_and_steady_at_critical(
    db: Database,
) -> None:
    db.transaction(_fleet)
    found = _watched(db)
    expected = {
        host_id: steady_failing(state, POLICY) and state.status is Status.CRITICAL
        for host_id, state in STATES.items()
    }
    assert {w.host_id: w.steady_failing for w in found} == {**expected, "g-no-state": False}
    assert [k for k, v in expected.items() if v] == ["f2-silent", "f4-silent-changed"]
    # Steady too, but at another status than the one asked about.
    assert steady_failing(STATES["f6-unknown-raised"], POLICY)


def test_it_reads_when_each_host_was_last_heard_of_and_its_intervals(db: Database) -> None:
    db.transaction(_fleet)
    seen = T0 + timedelta(minutes=3)
    db.transaction(_set, update(hosts).where(hosts.c.id == "a-ok"), last_seen_at=seen,
                   agent_interval_s=30.0)  # fmt: skip
    found = {w.host_id: w for w in _watched(db)}
    assert found["a-ok"][1:4] == (seen, None, 30.0)
    assert found["g-no-state"][1:4] == (T0, 20.0, None)  # never seen: heard of when added


def test_it_counts_a_state_stored_with_its_false_flags_as_not_at_rest(db: Database) -> None:
    """A state written out in full (every field, false flags too) is evaluated: never wrong."""
    db.transaction(_fleet)
    full = {**OK.to_json(), "raised": False, "flapping": False, "changes": []}
    heartbeat = (check_states.c.host_id == "a-ok", check_states.c.check_key == KEY)
    db.transaction(_set, update(check_states).where(*heartbeat), state=full)
    assert at_rest(WatchState.from_json(full), POLICY)
    found = {w.host_id: w for w in _watched(db)}
    assert not found["a-ok"].at_rest
