"""What the heartbeat sweep reads of every host: one row each, in its order, and whether the
host's heartbeat is at rest, judged in SQL as ``watches.at_rest`` judges the state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.sql.dml import Update

from collector.domain.policy import Severity, Status
from collector.domain.watches import WatchState, at_rest
from collector.store import archive, inventory, watch_states
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
    "d-changed": replace(OK, changes=(T0 - timedelta(minutes=5),)),
    "e-critical": replace(OK, status=Status.CRITICAL, bad_count=1, bad_since=T0, good_count=0),
    "f-unknown": replace(OK, status=Status.UNKNOWN, bad_count=1, bad_since=T0, good_count=0),
}


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


def _set(conn: Connection, statement: Update, **values: Any) -> None:
    conn.execute(statement.values(**values))


def test_it_reads_whether_each_watched_hosts_heartbeat_is_at_rest(db: Database) -> None:
    db.transaction(_fleet)
    found = db.transaction(watch_states.watched_hosts, KEY, {"mitel"})
    assert [w.host_id for w in found] == [*STATES, "g-no-state"]
    expected = {host_id: at_rest(state) for host_id, state in STATES.items()}
    assert {w.host_id: w.at_rest for w in found} == {**expected, "g-no-state": False}
    assert expected["a-ok"] and not any(v for k, v in expected.items() if k != "a-ok")


def test_it_reads_when_each_host_was_last_heard_of_and_its_intervals(db: Database) -> None:
    db.transaction(_fleet)
    seen = T0 + timedelta(minutes=3)
    db.transaction(_set, update(hosts).where(hosts.c.id == "a-ok"), last_seen_at=seen,
                   agent_interval_s=30.0)  # fmt: skip
    found = {w.host_id: w for w in db.transaction(watch_states.watched_hosts, KEY, {"mitel"})}
    assert found["a-ok"][1:4] == (seen, None, 30.0)
    assert found["g-no-state"][1:4] == (T0, 20.0, None)  # never seen: heard of when added


def test_it_counts_a_state_stored_with_its_false_flags_as_not_at_rest(db: Database) -> None:
    """A state written out in full (every field, false flags too) is evaluated: never wrong."""
    db.transaction(_fleet)
    full = {**OK.to_json(), "raised": False, "flapping": False, "changes": []}
    heartbeat = (check_states.c.host_id == "a-ok", check_states.c.check_key == KEY)
    db.transaction(_set, update(check_states).where(*heartbeat), state=full)
    assert at_rest(WatchState.from_json(full))
    found = {w.host_id: w for w in db.transaction(watch_states.watched_hosts, KEY, {"mitel"})}
    assert not found["a-ok"].at_rest
