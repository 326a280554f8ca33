"""What a fault mail needs, read back by the writes that lead to it, on SQLite and PostgreSQL:
the fault saved for a mail is the fault ``get_fault`` reads, with its incident's coverage and
whether it explains others as separate reads find them, its customer's zone and contacts as
``zone_and_contacts`` reads them, and the contract in force as ``current_contract`` picks it;
resolving an incident hands back the
terms ``mailed_terms`` reads; the SLA sweep's incidents carry the terms stored. And where the
database cannot return from a write, the same comes of a read after it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from collector.domain.faults import FaultKey, FaultState
from collector.domain.policy import Severity
from collector.store import fault_causes, fault_mail, inventory
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store.database import Database
from collector.store.schema import customers, hosts
from tests.support.database import migrated_database

T0 = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
HOST_DOWN = FaultState(FaultKey("acme", "acme-pbx", "host.down"), Severity.CRITICAL, T0)
PORT = FaultState(FaultKey("acme", "acme-pbx", "port:5038"), Severity.MAJOR, T0, detail="closed")
SITE_DOWN = FaultState(FaultKey("acme", None, "site.down"), Severity.CRITICAL, T0)
POLICY = {"title": "Category 2", "tier": "cat2", "definition": {}, "rises": [{"at": "x"}]}


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    with migrated_database(database_url) as database:
        database.transaction(_customer_and_host)
        yield database


@pytest.fixture(params=["returning", "read after"])
def returning(request: pytest.FixtureRequest, db: Database) -> Iterator[str]:
    """Each test as the database runs it, and as one that cannot return from a write would."""
    dialect = db.engine.dialect
    kept = dialect.update_returning, dialect.insert_returning
    if request.param == "read after":
        dialect.update_returning = dialect.insert_returning = False
    yield request.param
    dialect.update_returning, dialect.insert_returning = kept


def _customer_and_host(conn: sa.Connection) -> None:
    conn.execute(sa.insert(customers).values(id="acme", name="Acme Ltd", created_at=T0))
    conn.execute(
        sa.insert(hosts).values(
            id="acme-pbx", customer_id="acme", name="pbx", kind="pbx", key="k", created_at=T0,
        )
    )  # fmt: skip


def _saved(
    db: Database, fault_id: int | None, state: FaultState, at: datetime = T0
) -> fault_mail.SavedFault:
    found_id, saved = db.transaction(fault_mail.save_for_mail, fault_id, state, "Title", at)
    assert saved is not None and saved.view.id == found_id
    assert saved.view == db.transaction(fault_store.get_fault, found_id)
    return saved


def _incident(conn: sa.Connection, fault_id: int, covered: bool) -> int:
    return incident_store.open_incident(
        conn, fault_id=fault_id, customer_id="acme", tier="cat2", covered=covered,
        severity="major", opened_at=T0, response_due_at=T0 + timedelta(hours=4), policy=POLICY,
    )  # fmt: skip


@pytest.mark.usefixtures("returning")
def test_a_fault_saved_for_a_mail_is_the_fault_read_back_with_its_incidents_coverage(
    db: Database,
) -> None:
    opened = _saved(db, None, PORT)
    assert (opened.incident_covered, opened.explains_others) == (None, False)
    fault_id = opened.view.id
    db.transaction(_incident, fault_id, False)
    mailed = replace(PORT, notified_severity=Severity.MAJOR, last_notified_at=T0)
    saved = _saved(db, fault_id, mailed)
    assert saved.incident_covered is False
    assert saved.view.last_notified_at == T0 and saved.view.title == "Title"


@pytest.mark.usefixtures("returning")
def test_it_explains_others_exactly_when_explained_by_finds_some(db: Database) -> None:
    cause = _saved(db, None, HOST_DOWN)
    site = _saved(db, None, SITE_DOWN)
    explained = _saved(db, None, replace(PORT, suppressed_by="host.down"))
    assert _saved(db, cause.view.id, HOST_DOWN).explains_others
    assert db.transaction(fault_causes.explained_by, cause.view) == [explained.view]
    assert not _saved(db, site.view.id, SITE_DOWN).explains_others  # none names the site
    resolved = replace(PORT, suppressed_by="host.down", resolved_at=T0)
    _saved(db, explained.view.id, resolved)
    assert not _saved(db, cause.view.id, HOST_DOWN).explains_others  # open faults only


def _audience(db: Database, saved: fault_mail.SavedFault) -> tuple[str | None, list[str]]:
    assert saved.view.customer_id == "acme"
    read = db.transaction(inventory.zone_and_contacts, "acme")
    assert (saved.customer_zone, list(saved.contact_emails)) == read
    return read


@pytest.mark.usefixtures("returning")
def test_it_reads_the_customers_zone_and_contacts_as_zone_and_contacts_does(
    db: Database,
) -> None:
    fault_id = _saved(db, None, PORT).view.id
    assert _audience(db, _saved(db, fault_id, PORT)) == (None, [])
    # More than nine, not in alphabetical order: in the order given (by id, not as text).
    names = ("zoe", "amy", "kim", "bob", "eve", "dan", "ian", "cal", "hal", "fay", "gus")
    emails = [f"{name}@acme.example" for name in names]
    people = list(zip(names, emails, strict=True))
    db.transaction(inventory.set_contacts, "acme", people)
    terms = {"access": None, "timezone": "Europe/Berlin", "region": None}
    db.transaction(inventory.set_customer_terms, "acme", **terms)
    assert _audience(db, _saved(db, fault_id, PORT)) == ("Europe/Berlin", emails)
    db.transaction(inventory.set_contacts, "acme", people[::-1])  # given again, another order
    assert _audience(db, _saved(db, fault_id, PORT)) == ("Europe/Berlin", emails[::-1])


def _contracts(conn: sa.Connection) -> None:
    """An ended contract, the one that followed it, and two starting later on the same day."""
    day = timedelta(days=1)
    inventory.add_contract(conn, "acme", "cat2", T0 - 30 * day, T0)
    inventory.add_contract(conn, "acme", "cat1", T0, None)
    inventory.add_contract(conn, "acme", "cat3", T0 + 10 * day, T0 + 20 * day)
    inventory.add_contract(conn, "acme", "cat4", T0 + 10 * day, None)


@pytest.mark.usefixtures("returning")
def test_it_reads_the_contract_in_force_at_the_save_as_current_contract_picks_it(
    db: Database,
) -> None:
    assert _saved(db, None, PORT).contract_tier is None  # no contract at all
    db.transaction(_contracts)
    fault_id = _saved(db, None, PORT).view.id
    found = {}
    for days in (-60, -30, -1, 0, 5, 10, 25):
        at = T0 + timedelta(days=days)
        contract = db.transaction(inventory.current_contract, "acme", at)
        found[days] = _saved(db, fault_id, PORT, at).contract_tier
        assert found[days] == (None if contract is None else contract.tier)
    # Ended at T0; the later of two started the same day.
    assert found == {
        -60: None,
        -30: "cat2",
        -1: "cat2",
        0: "cat1",
        5: "cat1",
        10: "cat4",
        25: "cat4",
    }


def _a_resolvable_incident(conn: sa.Connection) -> int:
    fault_id = fault_store.save_state(conn, None, PORT, "Title", T0)
    _incident(conn, fault_id, True)
    return fault_id


@pytest.mark.usefixtures("returning")
def test_resolving_an_incident_hands_back_the_terms_its_mail_quotes(db: Database) -> None:
    fault_id = db.transaction(_a_resolvable_incident)
    at = T0 + timedelta(hours=1)
    terms = db.transaction(incident_store.resolve_for_fault, fault_id, at)
    assert terms is not None and terms == db.transaction(incident_store.mailed_terms, fault_id)
    assert terms.title == "Category 2" and terms.reference.startswith("INC-2026-")
    incident = db.transaction(incident_store.incident_for_fault, fault_id)
    assert incident is not None and (incident.status, incident.resolved_at) == ("resolved", at)
    assert db.transaction(incident_store.resolve_for_fault, fault_id, at) is None  # once


def test_the_sla_sweeps_incidents_carry_their_terms_as_stored(db: Database) -> None:
    fault_id = db.transaction(_a_resolvable_incident)
    for _ in range(2):  # and again, decoded once
        (watched,) = db.transaction(incident_store.open_covered)
        assert watched == db.transaction(incident_store.incident_for_fault, fault_id)
        assert watched.policy == POLICY
        watched.policy["title"] = "changed by a reader"  # its own copy
