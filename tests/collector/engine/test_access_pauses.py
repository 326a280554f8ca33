"""Pauses for access withheld, from the fault history, on SQLite and PostgreSQL: only access
checks, only while the agent reports, never for the incident's own outage, never while the
vendor's network is down, and from the opening until given for access on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, update

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.sla import Explanation
from collector.engine.incident_clock import access_rules, explain_incident
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.schema import customers, faults, hosts
from tests.support.incidents import add_customer, lose_access, open_incident, silence_agent

# Monday 2 November 2026, 10:00 UTC = 10:00 in London, inside priority-uk's hours (2 h target).
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
PLAIN_DUE = MONDAY + timedelta(hours=2)


def at(minutes: int) -> datetime:
    return MONDAY + timedelta(minutes=minutes)


@pytest.fixture
def config_settings() -> dict[str, Any]:
    return {"monitoring": {"vendor_canary_hosts": ["noc-gw"]}}


def _open(db: Database, config: CollectorConfig, check_key: str = "disk:/") -> int:
    def setup(conn: Connection) -> int:
        host = add_customer(conn, "acme", "priority-uk", MONDAY)
        return open_incident(conn, config, host, MONDAY, check_key=check_key)

    return db.transaction(setup)


def _first_response(db: Database, config: CollectorConfig, incident_id: int) -> Explanation:
    def read(conn: Connection) -> Explanation:
        incident = incident_store.get_incident(conn, incident_id)
        assert incident is not None
        rules = access_rules(config)
        found = explain_incident(conn, incident, catalogue_for(config), at(150), rules)
        return found["first_response"]

    return db.transaction(read)


def test_it_pauses_while_ssh_is_refused_and_the_agent_reports(
    db: Database, config: CollectorConfig
) -> None:
    incident_id = _open(db, config)
    db.transaction(lose_access, "acme-pbx", at(20), at(60))
    explained = _first_response(db, config, incident_id)
    assert explained.due == PLAIN_DUE + timedelta(minutes=40)
    assert explained.sentence.endswith("paused 40 min while SSH was unreachable")


@pytest.mark.parametrize("check", ["sip", "tcp", "tcp:5038"])
def test_it_pauses_nothing_for_a_check_that_is_not_remote_access(
    db: Database, config: CollectorConfig, check: str
) -> None:
    incident_id = _open(db, config)
    db.transaction(lose_access, "acme-pbx", at(0), at(120), check)
    explained = _first_response(db, config, incident_id)
    assert explained.due == PLAIN_DUE
    assert "paused" not in explained.sentence


def test_it_follows_a_checks_remote_access_flag_either_way(
    db: Database, config: CollectorConfig
) -> None:
    incident_id = _open(db, config)

    def checks(conn: Connection) -> None:
        probe_store.add_check(conn, "acme-pbx", "tcp", "pbx:5038", MONDAY, remote_access=True)
        probe_store.add_check(
            conn, "acme-pbx", "http", "https://pbx/", MONDAY, name="web", remote_access=False
        )
        lose_access(conn, "acme-pbx", at(10), at(30), "tcp")
        lose_access(conn, "acme-pbx", at(40), at(100), "http:web")

    db.transaction(checks)
    explained = _first_response(db, config, incident_id)
    assert explained.due == PLAIN_DUE + timedelta(minutes=20)
    assert explained.sentence.endswith("paused 20 min while TCP was unreachable")


def test_it_pauses_nothing_while_the_host_is_down(db: Database, config: CollectorConfig) -> None:
    """The agent falls silent at 10:20 (its heartbeat fault opens three minutes later), SSH and
    HTTP fail at 10:21: the host is down, which is a fault, not access withheld."""
    incident_id = _open(db, config)

    def outage(conn: Connection) -> None:
        silence_agent(conn, "acme-pbx", at(23), at(80))
        lose_access(conn, "acme-pbx", at(21), at(80))
        lose_access(conn, "acme-pbx", at(21), at(80), "http")

    db.transaction(outage)
    assert _first_response(db, config, incident_id).due == PLAIN_DUE


@pytest.mark.parametrize(("kind", "paused"), [("pbx", 40), ("mitel", 0)])
def test_every_access_check_failing_is_access_withheld_unless_no_agent_can_say_the_host_lives(
    db: Database, config: CollectorConfig, kind: str, paused: int
) -> None:
    """SSH and HTTP both fail: the engine derives host.down ("unreachable from the vendor").
    While the host's agent reports, that is access withheld and pauses; a Mitel has no agent,
    so its host.down is the host down, which pauses nothing."""
    incident_id = _open(db, config)

    def unreachable(conn: Connection) -> None:
        conn.execute(update(hosts).where(hosts.c.id == "acme-pbx").values(kind=kind))
        lose_access(conn, "acme-pbx", at(20), at(60))
        lose_access(conn, "acme-pbx", at(20), at(60), "http")
        down = fault_store.open_fault(
            conn, host_id="acme-pbx", check_key="host.down", severity="critical",
            title="acme-pbx is down", detail="host unreachable from the vendor", at=at(20),
        )  # fmt: skip
        conn.execute(update(faults).where(faults.c.id == down).values(resolved_at=at(60)))

    db.transaction(unreachable)
    explained = _first_response(db, config, incident_id)
    assert explained.due == PLAIN_DUE + timedelta(minutes=paused)


@pytest.mark.parametrize("own", ["host.down", "agent.heartbeat", "remote.http"])
def test_it_never_pauses_an_incident_for_its_own_outage(
    db: Database, config: CollectorConfig, own: str
) -> None:
    incident_id = _open(db, config, check_key=own)
    db.transaction(lose_access, "acme-pbx", at(0), None)
    explained = _first_response(db, config, incident_id)
    assert explained.due == PLAIN_DUE
    assert "paused" not in explained.sentence


def test_it_pauses_nothing_while_three_customers_lose_access_at_once(
    db: Database, config: CollectorConfig
) -> None:
    incident_id = _open(db, config)

    def vendor_outage(conn: Connection) -> None:
        for other in ("globex", "initech"):
            add_customer(conn, other, "cat1", MONDAY)
            lose_access(conn, f"{other}-pbx", at(15), at(45))
        lose_access(conn, "acme-pbx", at(10), at(45))

    db.transaction(vendor_outage)
    explained = _first_response(db, config, incident_id)
    assert explained.due == PLAIN_DUE + timedelta(minutes=5)  # 10:10-10:15, before the others


def test_it_pauses_nothing_while_a_vendor_canary_is_down(
    db: Database, config: CollectorConfig
) -> None:
    incident_id = _open(db, config)

    def canary_down(conn: Connection) -> None:
        add_customer(conn, "vendor", None, MONDAY, host="noc-gw")
        lose_access(conn, "noc-gw", at(0), at(30), "tcp")
        lose_access(conn, "acme-pbx", at(10), at(40))

    db.transaction(canary_down)
    assert _first_response(db, config, incident_id).due == PLAIN_DUE + timedelta(minutes=10)


def test_it_holds_access_on_request_until_an_operator_records_it_given(
    db: Database, config: CollectorConfig
) -> None:
    def setup(conn: Connection) -> int:
        host = add_customer(conn, "acme", "priority-uk", MONDAY)
        conn.execute(update(customers).values(access="on_request"))
        return open_incident(conn, config, host, MONDAY)

    incident_id = db.transaction(setup)
    still = _first_response(db, config, incident_id)
    assert still.due == at(150) + timedelta(hours=2)  # still withheld "now", at 12:30
    assert "paused 2 h 30 min while access on request not yet given" in still.sentence

    def grant(conn: Any) -> None:
        incident_store.grant_access(conn, incident_id, by="alice", at=at(45))

    db.transaction(grant)
    assert _first_response(db, config, incident_id).due == PLAIN_DUE + timedelta(minutes=45)
