"""The vendor-network sweep's one read: the episode still going and the ``remote.*`` faults open
now, as reading each on its own gives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from collector.store import incident_pauses, vendor_outages
from collector.store.database import Database
from tests.support.incidents import add_customer, lose_access, silence_agent

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _both(conn: Connection) -> tuple[object, object]:
    apart = (vendor_outages.current(conn), incident_pauses.still_open_remote(conn))
    return vendor_outages.current_and_failing(conn), apart


def test_it_reads_the_episode_and_the_failing_faults_as_each_read_alone_does(
    db: Database,
) -> None:
    def fleet(conn: Connection) -> None:
        for customer in ("acme", "globex"):
            add_customer(conn, customer, "cat1", MONDAY)

    db.transaction(fleet)
    together, apart = db.transaction(_both)
    assert together == apart == (None, [])  # neither: one row, of nothing

    def fail(conn: Connection) -> None:
        lose_access(conn, "acme-pbx", MONDAY + timedelta(minutes=2), None)
        lose_access(conn, "globex-pbx", MONDAY + timedelta(minutes=1), None, check="https")
        lose_access(conn, "globex-pbx", MONDAY, MONDAY + timedelta(minutes=3), check="telnet")
        silence_agent(conn, "acme-pbx", MONDAY, None)  # not a remote fault

    db.transaction(fail)
    together, apart = db.transaction(_both)
    assert together == apart
    assert together[0] is None and len(together[1]) == 2  # faults with no episode

    db.transaction(vendor_outages.begin, MONDAY, "first")
    first = db.transaction(vendor_outages.current)
    assert first is not None
    db.transaction(vendor_outages.end, first.id, MONDAY + timedelta(minutes=5))
    db.transaction(vendor_outages.begin, MONDAY + timedelta(minutes=6), "second")
    together, apart = db.transaction(_both)
    assert together == apart
    assert together[0] is not None and together[0].cause == "second"


def test_it_reads_an_episode_going_with_no_fault_failing(db: Database) -> None:
    db.transaction(vendor_outages.begin, MONDAY, "canary gw unreachable")
    together, apart = db.transaction(_both)
    assert together == apart
    assert together[0] is not None and together[1] == []
