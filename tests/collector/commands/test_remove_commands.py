"""``host remove`` and ``customer remove``: deleted when nothing refers to them, refused while
history does (naming it), archived with ``--force``; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select

from collector.operations import signin
from collector.store import customer_users, faults, inventory, probe_results, snmp
from collector.store.reports import IncomingReport, store_reports
from collector.store.schema import customers, hosts, incidents, reports
from tests.support.cli import Cli, write_config

NOW = datetime.now(UTC)


@pytest.fixture
def cli(tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The shared runner on both databases (it is SQLite's alone): removal holds on each."""
    runner = Cli(write_config(tmp_path / "collector.yaml", database_url), database_url, capsys)
    assert runner("customer", "list").code == 0  # creates the schema
    return runner


def acme_with_history(conn: Connection) -> int:
    """Acme with an idle host and one with a report, an open fault and its incident."""
    inventory.add_customer(conn, "acme", "Acme", NOW)
    inventory.add_host(conn, "idle", "acme", NOW)
    inventory.add_host(conn, "pbx1", "acme", NOW)
    store_reports(conn, [IncomingReport("pbx1", 1, NOW, {"probes": {}})], NOW)
    fault_id = faults.open_fault(
        conn, host_id="pbx1", check_key="disk:/var", severity="critical",
        title="Disk /var 97% full", detail="", at=NOW - timedelta(minutes=5),
    )  # fmt: skip
    conn.execute(
        incidents.insert().values(
            fault_id=fault_id, customer_id="acme", tier="cat1", covered=True,
            severity="critical", opened_at=NOW, policy={},
        )
    )  # fmt: skip
    probe_results.add_check(conn, "pbx1", "tcp", "pbx1.example:5060", NOW)
    snmp.set_agent(conn, snmp.SnmpAgent("pbx1", "192.0.2.10", "mitel-3300", community="c"))
    return fault_id


def test_it_deletes_a_host_nothing_refers_to(cli: Cli) -> None:
    cli.query(acme_with_history)
    outcome = cli("host", "remove", "idle")
    assert outcome.code == 0 and "Host idle removed (nothing referred to it)" in outcome.out
    assert cli.query(lambda c: c.scalar(select(hosts.c.id).where(hosts.c.id == "idle"))) is None


def test_it_refuses_a_host_with_history_naming_it(cli: Cli) -> None:
    cli.query(acme_with_history)
    outcome = cli("host", "remove", "pbx1")
    assert outcome.code == 1
    assert "host pbx1 has 1 report, 1 fault and 1 incident: not removed" in outcome.err
    assert "--force archives it" in outcome.err
    assert [h.id for h in cli.query(inventory.list_hosts)] == ["idle", "pbx1"]


def test_it_archives_a_host_with_force_and_keeps_its_history_readable(cli: Cli) -> None:
    fault_id = cli.query(acme_with_history)
    outcome = cli("host", "remove", "pbx1", "--force")
    assert outcome.code == 0, outcome.err
    assert "Host pbx1 archived; 1 open fault resolved" in outcome.out
    assert "Kept as history: 1 report, 1 fault and 1 incident" in outcome.out

    assert [h.id for h in cli.query(inventory.list_hosts)] == ["idle"]
    assert "pbx1" not in cli.query(inventory.host_keys)  # its agent's reports are refused
    assert cli.query(probe_results.all_enabled_checks) == []  # nothing probes it
    assert cli.query(snmp.all_agents) == []  # nor polls it, nor takes its traps
    fault = cli.query(lambda conn: faults.get_fault(conn, fault_id))
    assert fault is not None and fault.resolved_at is not None
    assert cli.query(lambda c: c.scalar(select(func.count()).select_from(reports))) == 1
    shown = cli("fault", "show", str(fault_id))
    assert shown.code == 0 and "host archived by cli:" in shown.out
    assert cli("host", "list").out.count("pbx1") == 0

    again = cli("host", "add", "pbx1", "--customer", "acme")
    assert again.code == 1 and "exists already (archived, with its history)" in again.err
    assert cli("host", "remove", "pbx1").code == 1  # archived: not there to remove


def test_it_refuses_a_customer_with_hosts_and_archives_it_with_force(cli: Cli) -> None:
    def history(conn: Connection) -> int:
        fault_id = acme_with_history(conn)
        customer_users.add_user(conn, "acme", "pat@acme.example", "customer", NOW, "Pat")
        return fault_id

    fault_id = cli.query(history)
    assert cli.query(lambda conn: signin.candidate(conn, "pat@acme.example")).account
    outcome = cli("customer", "remove", "acme")
    assert outcome.code == 1
    assert (
        "customer acme has 2 hosts, 1 fault, 1 incident and 1 portal user: not removed"
        in outcome.err
    )
    outcome = cli("customer", "remove", "acme", "--force")
    assert outcome.code == 0, outcome.err
    assert "Customer acme archived; 1 open fault resolved" in outcome.out

    assert cli.query(inventory.list_customers) == []
    assert cli.query(inventory.list_hosts) == []
    assert cli.query(lambda c: c.scalar(select(func.count()).select_from(hosts))) == 2
    assert cli.query(lambda conn: faults.get_fault(conn, fault_id)) is not None
    # The portal: its users no longer sign in.
    assert cli.query(lambda conn: signin.candidate(conn, "pat@acme.example")).account is None
    assert "acme" not in cli("customer", "list").out


def test_it_deletes_a_customer_nothing_refers_to(cli: Cli) -> None:
    cli.query(lambda conn: inventory.add_customer(conn, "new", "New Ltd", NOW))
    outcome = cli("customer", "remove", "new")
    assert outcome.code == 0 and "Customer new removed" in outcome.out
    gone = cli.query(lambda c: c.scalar(select(customers.c.id).where(customers.c.id == "new")))
    assert gone is None
    assert cli("customer", "remove", "nope").code == 1
