"""``faultdesk-collector incident list|explain|respond|...`` through the CLI, on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection

from collector.config.settings import load_config
from collector.config.tiers import catalogue_for
from collector.operations.incidents import recompute_due
from collector.store import incidents as incident_store
from tests.support.cli import Cli
from tests.support.incidents import add_customer, lose_access, open_incident

# Thursday 24 December 2020, 18:10 in London: after hours before Christmas.
CHRISTMAS_EVE = datetime(2020, 12, 24, 18, 10, tzinfo=UTC)


@pytest.fixture
def run(cli: Cli) -> Cli:
    config = load_config(cli.config)

    def setup(conn: Connection) -> None:
        host = add_customer(conn, "acme", "priority-uk", CHRISTMAS_EVE)
        incident_id = open_incident(conn, config, host, CHRISTMAS_EVE)
        lost = datetime(2020, 12, 29, 9, 20, tzinfo=UTC)
        lose_access(conn, host, lost, lost + timedelta(minutes=40))
        # What the SLA sweep does in the running service: the stored due time follows pauses.
        incident = incident_store.get_incident(conn, incident_id)
        assert incident is not None
        recompute_due(conn, incident, catalogue_for(config), lost + timedelta(hours=1))
        other = add_customer(conn, "beta", "cat1", CHRISTMAS_EVE)
        open_incident(conn, config, other, CHRISTMAS_EVE)

    cli.query(setup)
    return cli.under("incident")


def test_it_explains_why_the_incident_is_due_when_it_is(run: Cli) -> None:
    outcome = run("explain", "1")
    assert outcome.code == 0, outcome.err
    assert "Incident #1: Acme Ltd / pbx1: Disk space /" in outcome.out
    assert "first_response: 2020-12-29 11:40 UTC (2020-12-29 11:40 Europe/London)" in outcome.out
    assert (
        "due Tue 29 Dec 11:40 Europe/London — opened Thu 24 Dec 18:10 outside hours; "
        "25, 28 Dec public holidays; paused 40 min while SSH was unreachable"
    ) in outcome.out
    assert "  calendar: Mon-Fri 09:00-17:00 Europe/London, England public holidays\n" in outcome.out
    assert (
        "  paused 2020-12-29 09:20 UTC to 2020-12-29 10:00 UTC: SSH was unreachable\n"
    ) in outcome.out


def test_it_lists_the_queue_front_of_queue_first(run: Cli) -> None:
    outcome = run("list")
    assert outcome.code == 0, outcome.err
    rows = [line for line in outcome.out.splitlines() if line.strip()[:1].isdigit()]
    assert [row.split()[0] for row in rows] == ["1*", "2"]
    assert "2020-12-29 11:40 UTC" in rows[0]


def test_it_records_lifecycle_steps_under_the_name_given(run: Cli) -> None:
    outcome = run("respond", "1", "--by", "alice", "--note", "called Jo")
    assert outcome.code == 0, outcome.err
    assert outcome.out == (
        "Incident INC-2020-0001 (#1) is responded: first response given: called Jo\n"
    )
    assert run("wait", "1", "--by", "bob").code == 0
    assert run("resume", "1", "--by", "bob").code == 0
    refused = run("resolve", "1", "--by", "alice")  # its fault is still open
    assert refused.code == 1 and "is still open; to resolve the incident anyway" in refused.err
    resolved = run("resolve", "1", "--by", "alice", "--force")
    assert resolved.code == 0 and "while its fault was still open (confirmed)" in resolved.out
    assert run("close", "1", "--by", "alice", "--force").code == 0
    history = run.query(lambda conn: [(e.kind, e.actor) for e in incident_store.events(conn, 1)])
    assert history == [
        ("opened", "faultdesk"),
        ("responded", "alice"),
        ("waiting_on_customer", "bob"),
        ("resumed", "bob"),
        ("resolved", "alice"),
        ("closed", "alice"),
    ]


def test_it_refuses_a_step_the_state_does_not_allow_with_exit_1(run: Cli) -> None:
    outcome = run("arrived", "1", "--by", "alice")
    assert outcome.code == 1
    assert (
        "incident INC-2020-0001 is open (no response yet); 'engineer on site' needs it"
        in outcome.err
    )
    assert run("explain", "99").err == "faultdesk-collector: no incident #99\n"
    assert run("respond", "99", "--by", "alice").code == 1


def test_it_needs_a_name_for_a_lifecycle_step(run: Cli) -> None:
    assert run("respond", "1").code == 2
