"""The shipped dependency rules through the real engine and a real database: whatever a PBX's
checks do, no explained fault is mailed while its cause is open, and no fault's opening is
mailed twice.

Each example is a PBX host whose checks fail and recover at random, one step every two hours
(no flapping); each step is observed twice (enough to raise or clear any check), then the sweep's
catch-up of held mail runs, as it does every few seconds in the collector.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select

from collector.config.dependencies import dependencies_for
from collector.config.settings import CollectorConfig, MailSettings
from collector.domain.dependencies import HostFacts, assess
from collector.domain.faults import FaultKey
from collector.domain.policy import Status
from collector.domain.watches import Observation
from collector.engine import pipeline
from collector.store import inventory, watch_states
from collector.store.database import Database
from collector.store.schema import faults, outbox
from tests.support.collector import collector_config
from tests.support.database import migrated_database

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
HOST = "acme-pbx"
CHECKS = ("unit:asterisk.service", "service:asterisk", "asterisk.ami", "port:5038",
          "port:5060/udp", "sip", "asterisk.trunk:t1", "asterisk.endpoint:101", "remote.sip",
          "remote.ssh", "disk:/")  # fmt: skip


def _customer(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", T0)
    inventory.set_contacts(conn, "acme", [("Jo", "jo@acme.example")])
    inventory.add_contract(conn, "acme", "cat1", T0 - timedelta(days=1), T0 + timedelta(days=99))
    inventory.add_host(conn, HOST, "acme", T0, kind="pbx", interval_s=60.0)


def _observe(conn: Connection, config: CollectorConfig, failing: set[str], at: datetime) -> None:
    run = pipeline.Run(conn, config, at)
    host = inventory.get_host(conn, HOST)
    found = [
        Observation(check, at, Status.CRITICAL if check in failing else Status.OK, None, check)
        for check in CHECKS
    ]
    pipeline.observe(run, host, found, watch_states.load(conn, HOST))
    run.announce_openings()
    pipeline.mail_owed(run)


def _explained_now(conn: Connection, config: CollectorConfig) -> set[str]:
    """The host's checks whose faults the rules (and host down) explain, as stored now."""
    checks, raised = watch_states.raised_by_host(conn, "acme")[HOST]
    rules = dependencies_for(config).for_host("pbx", "acme", HOST)
    facts = HostFacts(HOST, "acme", None, frozenset(checks), frozenset(raised), rules)
    outcome = assess([facts])
    return {check for check in raised if outcome.suppressed_by(FaultKey("acme", HOST, check))}


def _mail(conn: Connection) -> list[tuple[int, str, str, str]]:
    query = (
        select(outbox.c.id, outbox.c.kind, outbox.c.recipient, faults.c.check_key)
        .join(faults, faults.c.id == outbox.c.fault_id)
        .order_by(outbox.c.id)
    )
    return [tuple(row) for row in conn.execute(query)]


def _fault_of_mail(conn: Connection) -> dict[int, int]:
    return dict(conn.execute(select(outbox.c.id, outbox.c.fault_id)).all())


steps = st.lists(st.sets(st.sampled_from(CHECKS)), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None)
@given(steps)
def test_it_never_mails_an_explained_fault_while_its_cause_is_open_nor_an_opening_twice(
    timeline: list[set[str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'faultdesk.db'}"
        config = collector_config(
            url, Path(folder), mail=MailSettings(noc="noc@vendor.example", reminder_interval_s=1e9)
        )
        with migrated_database(url) as db:
            _run(db, config, [*timeline, set()])


def _run(db: Database, config: CollectorConfig, timeline: list[set[str]]) -> None:
    db.transaction(_customer)
    seen = 0
    for index, failing in enumerate(timeline):
        at = T0 + timedelta(hours=2 * index)
        for minute in (0, 1):
            db.transaction(_observe, config, failing, at + timedelta(minutes=minute))
        mail = db.transaction(_mail)
        explained = db.transaction(_explained_now, config)
        for _, kind, _, check in mail[seen:]:
            if kind != "fault_resolved":
                assert check not in explained, f"{check} mailed while explained ({failing})"
        seen = len(mail)
    mail = db.transaction(_mail)
    fault_of = db.transaction(_fault_of_mail)
    openings = Counter(
        (fault_of[row_id], recipient)
        for row_id, kind, recipient, _ in mail
        if kind == "fault_opened"
    )
    assert all(count == 1 for count in openings.values()), openings
    # Every opening mailed has its recovery mailed once the timeline ends with all clear.
    recoveries = Counter(
        (fault_of[row_id], recipient)
        for row_id, kind, recipient, _ in mail
        if kind == "fault_resolved"
    )
    assert recoveries == openings
