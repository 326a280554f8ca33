"""The heartbeat sweep's read names only the hosts that may be due and the deadlines that may
be the next, judged in SQL within a margin; deciding on those alone must name exactly what
deciding on every watched host names, at any moment, a deadline's own microsecond included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, update

from collector.domain import rules
from collector.domain.policy import CheckPolicy, Severity, Status
from collector.domain.watches import WatchState
from collector.engine.heartbeats_due import heartbeats_due
from collector.store import heartbeat_watch, inventory, watch_states
from collector.store.database import Database
from collector.store.schema import hosts

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
KEY = rules.HEARTBEAT
MISSED = 3
OK = WatchState(KEY, Status.OK, 0.0, "agent reporting", T0, good_count=7)
SILENT = WatchState(
    KEY, Status.CRITICAL, 600.0, "agent silent", T0, bad_count=9, bad_since=T0,
    last_bad_status=Status.CRITICAL, raised=True, severity=Severity.CRITICAL,
)  # fmt: skip
STATES = {"rest": OK, "steady": SILENT, "raised": replace(OK, raised=True), "none": None}
#: (last seen after T0, the host's own interval, the agent's): own, agent's, a zero agent's
#: (the default then), none at all, a fractional one; some last seen within the same second.
TIMINGS = [
    (timedelta(seconds=0), 60.0, None),
    (timedelta(seconds=30, microseconds=250_001), None, 45.0),
    (timedelta(seconds=30, microseconds=250_002), None, 0.0),
    (timedelta(minutes=2, microseconds=999_999), None, None),
    (timedelta(minutes=1, seconds=7), 20.5, 30.0),
    (timedelta(minutes=9), 120.0, None),
]


def _fleet(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", T0)
    for n, (seen, own, agent) in enumerate(TIMINGS):
        for name, state in STATES.items():
            host_id = f"h{n}-{name}"
            inventory.add_host(conn, host_id, "acme", T0, kind="pbx", interval_s=own)
            values = {"last_seen_at": T0 + seen, "agent_interval_s": agent}
            conn.execute(update(hosts).where(hosts.c.id == host_id).values(**values))
            if state is not None:
                watch_states.save(conn, host_id, {KEY: state}, T0)
    inventory.add_host(conn, "never-seen", "acme", T0, kind="pbx", interval_s=60)
    inventory.add_host(conn, "mitel", "acme", T0, kind="mitel")


def _reading_every_host(conn: Connection, now: datetime) -> tuple[list[str], datetime | None]:
    """The reference: every watched host read and decided by the rules."""
    failing = (Status.CRITICAL, CheckPolicy())
    due, next_silence = [], None
    for w in heartbeat_watch.watched_hosts(conn, KEY, rules.AGENTLESS_KINDS, failing):
        interval = inventory.heartbeat_interval(w.interval_s, w.agent_interval_s)
        deadline = rules.heartbeat_deadline(w.last_heard, interval, MISSED)
        if deadline > now and (next_silence is None or deadline < next_silence):
            next_silence = deadline
        silent = rules.heartbeat_silent(w.last_heard, interval, now, MISSED)
        if not (w.steady_failing if silent else w.at_rest):
            due.append(w.host_id)
    return due, next_silence


def _moments() -> list[datetime]:
    """Around every deadline of the fleet: on it, a microsecond and up to two seconds off."""
    found = set()
    for seen, own, agent in [*TIMINGS, (timedelta(0), 60.0, None)]:
        interval = inventory.heartbeat_interval(own, agent)
        deadline = rules.heartbeat_deadline(T0 + seen, interval, MISSED)
        for off_us in (0, 1, -1, 500_000, -500_000, 1_000_000, -1_000_000, 2_000_000, -2_000_000):
            found.add(deadline + timedelta(microseconds=off_us))
    return sorted(found | {T0, T0 + timedelta(hours=1)})


def _both(conn: Connection, now: datetime) -> tuple[tuple[list[str], datetime | None], ...]:
    due, next_silence = heartbeats_due(conn, now, MISSED, CheckPolicy())
    return ([host.id for host in due], next_silence), _reading_every_host(conn, now)


def test_it_names_the_hosts_due_and_the_next_silence_as_reading_every_host_does(
    db: Database,
) -> None:
    db.transaction(_fleet)
    due_somewhere, left_out = set(), 0
    for now in _moments():
        found, expected = db.transaction(_both, now)
        assert found == expected, now
        due_somewhere.update(expected[0])
        left_out += len(STATES) * len(TIMINGS) + 1 - len(expected[0])
    # Not vacuous: each kind of state was due at some moment, and some were left alone.
    assert {name.split("-", 1)[1] for name in due_somewhere} == {*STATES, "seen"}
    assert left_out > 0


def test_it_reads_only_the_hosts_that_may_be_due(db: Database) -> None:
    db.transaction(_fleet)
    failing = (Status.CRITICAL, CheckPolicy())
    # No deadline near: the hosts at rest are left out, the steady ones (agents reporting
    # again) are not, nor those neither at rest nor steady.
    early = T0 + timedelta(seconds=10)
    maybe_due, maybe_next = db.transaction(
        heartbeat_watch.hosts_to_sweep, KEY, rules.AGENTLESS_KINDS, failing, early, MISSED
    )
    names = {w.host_id.split("-", 1)[1] for w in maybe_due}
    assert names == {"steady", "raised", "none", "seen"}
    # The soonest deadline (h4's, 20.5 s intervals) is its four hosts', read as one.
    assert maybe_next == [(T0 + TIMINGS[4][0], 20.5, 30.0)]


def test_it_reads_the_same_hosts_without_the_next_deadlines_when_not_asked_for(
    db: Database,
) -> None:
    db.transaction(_fleet)
    failing = (Status.CRITICAL, CheckPolicy())
    for now in _moments():
        args = (KEY, rules.AGENTLESS_KINDS, failing, now, MISSED)
        maybe_due, _ = db.transaction(heartbeat_watch.hosts_to_sweep, *args)
        assert db.transaction(heartbeat_watch.hosts_to_sweep, *args, False) == (maybe_due, [])
        due, _ = db.transaction(heartbeats_due, now, MISSED, CheckPolicy())
        assert db.transaction(heartbeats_due, now, MISSED, CheckPolicy(), False) == (due, None)
