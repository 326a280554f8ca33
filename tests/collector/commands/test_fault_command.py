"""``faultdesk-collector fault list|show|ack``, ``check remove``, ``operator remove``, and the
CLI's small courtesies: every sub-command described, option errors that list the valid options,
plurals."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection

from collector.cli import build_parser
from collector.probes.base import ProbeResult, Verdict
from collector.store import faults, inventory, operators, probe_results
from tests.support.cli import Cli

NOW = datetime.now(UTC)


def one_fault(conn: Connection) -> int:
    inventory.add_customer(conn, "acme", "Acme", NOW)
    inventory.set_contacts(conn, "acme", [("Pat", "pat@acme.example")])
    inventory.add_host(conn, "pbx1", "acme", NOW)
    return faults.open_fault(
        conn, host_id="pbx1", check_key="disk:/var", severity="critical",
        title="Disk /var 97% full", detail="97.2 %", at=NOW - timedelta(minutes=30),
    )  # fmt: skip


def test_it_lists_shows_and_acknowledges_a_fault(cli: Cli) -> None:
    fault_id = cli.query(one_fault)
    code, out, _ = cli("fault", "list")
    assert code == 0
    assert f"#{fault_id}" in out and "Disk /var 97% full" in out and "open" in out

    code, out, _ = cli("fault", "show", str(fault_id))
    assert code == 0
    assert f"Fault #{fault_id}: Disk /var 97% full" in out and "detail     97.2 %" in out
    assert "History (1 event, UTC):" in out

    code, out, _ = cli("fault", "ack", str(fault_id), "--by", "olga", "--comment", "on it")
    assert code == 0 and "acknowledged by olga" in out
    code, out, _ = cli("fault", "ack", str(fault_id), "--by", "olga")
    assert code == 0 and "acknowledged already" in out
    _, out, _ = cli("fault", "list")
    assert "acknowledged by olga" in out


def test_it_refuses_an_unknown_fault_or_host(cli: Cli) -> None:
    cli.query(one_fault)
    assert cli("fault", "show", "999").code == 1
    code, _, err = cli("fault", "ack", "999", "--by", "olga")
    assert code == 1 and "no fault #999" in err
    assert cli("fault", "list", "--host", "nope").code == 1


def test_it_lists_the_valid_options_when_one_is_unknown(cli: Cli) -> None:
    cli.query(lambda conn: inventory.add_customer(conn, "acme", "Acme", NOW))
    cli("host", "add", "web1", "--customer", "acme")
    code, _, err = cli(
        "check", "add", "web1", "--kind", "http", "--target", "https://web1.example/",
        "--option", "expect-status=200",
    )  # fmt: skip
    assert code == 2
    assert "the http options are: " in err and "expect_status" in err


def test_it_counts_one_customer_in_the_singular(cli: Cli, tmp_path: Path) -> None:
    inventory_file = tmp_path / "inventory.yaml"
    inventory_file.write_text("customers:\n  - id: acme\n    name: Acme\n")
    code, out, _ = cli("inventory", "load", str(inventory_file))
    assert code == 0 and "1 customer and 0 hosts" in out


def test_it_describes_every_sub_command() -> None:
    missing = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    if not sub.description:
                        missing.append(" ".join([*path, name]))
                    walk(sub, [*path, name])

    walk(build_parser(), [])
    assert missing == []


def test_it_removes_a_check_never_run_and_keeps_a_run_ones_history_only_with_force(
    cli: Cli,
) -> None:
    def two_checks(conn: Connection) -> tuple[int, int]:
        inventory.add_customer(conn, "acme", "Acme", NOW)
        inventory.add_host(conn, "web1", "acme", NOW)
        fresh = probe_results.add_check(conn, "web1", "tcp", "web1.example:22", NOW)
        used = probe_results.add_check(conn, "web1", "tcp", "web1.example:80", NOW, name="web")
        result = ProbeResult("tcp", used.target, Verdict.OK, 1.0, "open")
        probe_results.record_result(conn, used, result, NOW)
        return fresh.id, used.id

    fresh, used = cli.query(two_checks)
    code, out, _ = cli("check", "remove", "web1", str(fresh))
    assert code == 0 and "removed" in out
    code, _, err = cli("check", "remove", "web1", str(used))
    assert code == 1 and "has 1 result: --force" in err
    code, out, _ = cli("check", "remove", "web1", str(used), "--force")
    assert code == 0 and "stopped for good; its 1 result kept" in out
    kept = cli.query(lambda conn: probe_results.get_check(conn, used))
    assert kept is not None and not kept.enabled
    assert cli.query(lambda conn: probe_results.result_count(conn, used)) == 1
    assert cli("check", "remove", "web1", "999").code == 1


def test_it_removes_an_operator_holding_tokens_only_with_force(cli: Cli) -> None:
    def olga(conn: Connection) -> None:
        operators.add_operator(conn, "olga", "a long password", NOW)
        operators.create_token(conn, "olga", "grafana", NOW)

    cli.query(olga)
    code, _, err = cli("operator", "remove", "olga")
    assert code == 1 and "holds 1 API token ('grafana')" in err
    code, out, _ = cli("operator", "remove", "olga", "--force")
    assert code == 0 and "1 API token revoked" in out
    assert cli.query(lambda conn: operators.list_tokens(conn)) == []
    assert cli("operator", "remove", "olga").code == 1
