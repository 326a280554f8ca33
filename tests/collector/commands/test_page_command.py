"""``faultdesk-collector page ack``: an engineer takes an incident from the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, select, update

from collector.store import faults, incidents, inventory
from collector.store.schema import incidents as incident_table
from tests.support.cli import Cli

OPENED = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)


def _incident(conn: Connection) -> int:
    inventory.add_customer(conn, "acme", "Acme Ltd", OPENED)
    inventory.add_host(conn, "acme-pbx", "acme", OPENED, name="pbx1", kind="pbx")
    fault_id = faults.open_fault(
        conn, host_id="acme-pbx", check_key="asterisk.ami", severity="critical",
        title="PBX not answering", detail="", at=OPENED,
    )  # fmt: skip
    return incidents.open_incident(
        conn, fault_id=fault_id, customer_id="acme", tier="premium", covered=True,
        severity="critical", opened_at=OPENED, response_due_at=None,
        policy={"tier": "premium", "pages_on_call": True},
    )  # fmt: skip


@pytest.fixture
def incident_id(cli: Cli) -> int:
    return cli.query(_incident)


def _taken_by(cli: Cli) -> str | None:
    return cli.query(lambda conn: conn.scalar(select(incident_table.c.engineer_acknowledged_by)))


def test_it_acknowledges_the_page_and_then_says_who_already_has_it(
    cli: Cli, incident_id: int
) -> None:
    take = cli.under("page", "ack", str(incident_id))
    took = take("--by", "alice")
    assert took.code == 0
    assert f"incident #{incident_id} acknowledged by alice: paging stopped" in took.out
    assert _taken_by(cli) == "alice"

    taken = take("--by", "bob")
    assert taken.code == 0
    assert "already acknowledged by alice" in taken.out
    assert _taken_by(cli) == "alice"


def test_it_exits_1_for_an_incident_that_does_not_exist(cli: Cli, incident_id: int) -> None:
    missing = cli("page", "ack", "999", "--by", "alice")
    assert missing.code == 1
    assert "no incident #999" in missing.err


def test_it_does_not_claim_to_stop_paging_for_an_incident_that_never_paged(
    cli: Cli, incident_id: int
) -> None:
    quiet = {"tier": "cat1", "pages_on_call": False}
    cli.query(lambda conn: conn.execute(update(incident_table).values(tier="cat1", policy=quiet)))
    done = cli("page", "ack", str(incident_id), "--by", "alice")
    assert done.code == 0
    assert "paging stopped" not in done.out and "does not page on-call" in done.out
    assert _taken_by(cli) == "alice"
