"""``faultdesk-collector customer|host|operator|token|inventory``, through the CLI, on SQLite."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from collector.domain.contracts import add_months, installation_contract
from collector.store import inventory, operators
from tests.support.cli import Cli

KEY = re.compile(r"^    ([0-9a-f]{64})$", re.MULTILINE)
TOKEN = re.compile(r"^    (fd_\S+)$", re.MULTILINE)


def test_it_gives_a_new_customer_one_month_of_cat1_by_default(cli: Cli) -> None:
    done = cli(
        "customer", "add", "acme", "--name", "Acme Ltd", "--contact", "Ann <ann@acme.example>"
    )
    assert done.code == 0, done.err
    _, starts, ends = installation_contract(datetime.now(UTC).date())
    assert f"Contract: cat1 from {starts}, until {ends}" in done.out
    assert "Contact: Ann <ann@acme.example>" in done.out
    listed = cli("customer", "list").out.splitlines()
    assert listed[0].split() == ["ID", "NAME", "TIER", "ENDS", "CONTACTS"]
    assert listed[1].split() == ["acme", "Acme", "Ltd", "cat1", str(ends), "ann@acme.example"]


def test_it_records_the_contract_given(cli: Cli) -> None:
    done = cli(
        "customer", "add", "beta", "--name", "Beta", "--tier", "cat2",
        "--starts", "2026-01-01", "--ends", "2099-01-01", "--ports", "12",
    )  # fmt: skip
    assert done.code == 0, done.err
    now = datetime.now(UTC)
    contract = cli.query(lambda conn: inventory.current_contract(conn, "beta", now))
    assert contract is not None
    assert (contract.tier, contract.ports) == ("cat2", 12)
    assert contract.ends_on == datetime(2099, 1, 1, tzinfo=UTC)


def test_it_refuses_what_it_cannot_do_on_stderr(cli: Cli) -> None:
    assert cli("customer", "add", "acme", "--name", "Acme").code == 0
    refusals = [
        (("customer", "add", "acme", "--name", "Again"), 1, "customer 'acme' exists already"),
        (("customer", "add", "x", "--name", "X", "--tier", "gold"), 2, "unknown tier 'gold'"),
        (("customer", "add", "x", "--name", "X", "--ports", "3"), 2, "give --tier too"),
        (("customer", "add", "x", "--name", "X", "--contact", "nobody"), 2, "--contact 'nobody'"),
        (("host", "add", "h", "--customer", "nobody"), 1, "no customer 'nobody'"),
        (("host", "rotate-key", "nothing"), 1, "no host 'nothing'"),
        (("token", "create", "nobody", "--name", "ci"), 1, "no operator 'nobody'"),
        (("token", "list", "nobody"), 1, "no operator 'nobody'"),
    ]
    for argv, code, message in refusals:
        done = cli(*argv)
        assert (done.code, done.out) == (code, ""), argv
        assert message in done.err
    names = cli.query(lambda conn: [c["id"] for c in inventory.list_customers(conn)])
    assert names == ["acme"]


def test_it_prints_a_host_key_once_with_the_agent_hint(cli: Cli) -> None:
    cli("customer", "add", "acme", "--name", "Acme")
    done = cli("host", "add", "pbx-1", "--customer", "acme", "--kind", "pbx", "--interval", "30")
    assert done.code == 0, done.err
    [key] = KEY.findall(done.out)
    assert "shown this once" in done.out
    assert "key_file: /etc/faultdesk/host.key" in done.out
    assert cli.query(inventory.host_keys) == {"pbx-1": key.encode()}
    listed = cli("host", "list")
    assert key not in listed.out
    assert listed.out.splitlines()[1].split()[:4] == ["pbx-1", "acme", "pbx", "30"]


def test_it_rotates_a_host_key(cli: Cli) -> None:
    cli("customer", "add", "acme", "--name", "Acme")
    [old] = KEY.findall(cli("host", "add", "pbx-1", "--customer", "acme").out)
    done = cli("host", "rotate-key", "pbx-1")
    assert done.code == 0, done.err
    [new] = KEY.findall(done.out)
    assert new != old
    assert cli.query(inventory.host_keys) == {"pbx-1": new.encode()}


def test_it_adds_an_operator_and_changes_the_password_from_stdin(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("first-password\n"))
    assert cli("operator", "add", "alice", "--password-stdin").code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("second-password\n"))
    assert cli("operator", "passwd", "alice", "--password-stdin").code == 0
    assert cli.query(lambda c: operators.check_password(c, "alice", "first-password")) is None
    assert cli.query(lambda c: operators.check_password(c, "alice", "second-password"))
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    done = cli("operator", "passwd", "alice", "--password-stdin")
    assert done.code == 2
    assert "at least 8 characters" in done.err


def test_it_asks_for_the_password_twice_without_echo(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["typed-password", "typed-passwrod", "typed-password", "typed-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    done = cli("operator", "add", "bob")
    assert done.code == 2
    assert "the two passwords differ" in done.err
    assert cli("operator", "add", "bob").code == 0
    assert cli.query(lambda c: operators.check_password(c, "bob", "typed-password"))


def test_it_refuses_an_operator_without_a_traceback_when_no_password_can_be_read(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_terminal(prompt: str = "") -> str:
        raise EOFError  # what getpass raises with no terminal and an empty stdin

    monkeypatch.setattr("getpass.getpass", no_terminal)
    done = cli("operator", "add", "carol")
    assert done.code == 2
    assert "--password-stdin" in done.err
    assert cli("token", "create", "carol", "--name", "laptop").code != 0  # no such operator


def test_it_prints_an_api_token_once_that_authenticates(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("first-password\n"))
    cli("operator", "add", "alice", "--password-stdin")
    done = cli("token", "create", "alice", "--name", "monitoring")
    assert done.code == 0, done.err
    [token] = TOKEN.findall(done.out)
    operator = cli.query(lambda conn: operators.operator_for_token(conn, token))
    assert operator is not None and operator.username == "alice"


def test_it_lists_tokens_without_showing_them_and_a_revoked_token_no_longer_authenticates(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("first-password\n"))
    cli("operator", "add", "alice", "--password-stdin")
    [kept] = TOKEN.findall(cli("token", "create", "alice", "--name", "grafana").out)
    [leaked] = TOKEN.findall(cli("token", "create", "alice", "--name", "old laptop").out)

    listing = cli("token", "list", "alice")
    assert listing.code == 0, listing.err
    assert "grafana" in listing.out and "old laptop" in listing.out
    assert kept not in listing.out and leaked not in listing.out
    leaked_id = next(line.split()[0] for line in listing.out.splitlines() if "old laptop" in line)

    done = cli("token", "revoke", leaked_id)
    assert done.code == 0, done.err
    assert "revoked" in done.out
    assert cli.query(lambda conn: operators.operator_for_token(conn, leaked)) is None
    assert cli.query(lambda conn: operators.operator_for_token(conn, kept)) is not None
    assert "old laptop" not in cli("token", "list").out
    again = cli("token", "revoke", leaked_id)
    assert again.code == 1 and f"no API token #{leaked_id}" in again.err


def test_it_loads_an_inventory_file(cli: Cli, tmp_path: Path) -> None:
    inventory_file = tmp_path / "inventory.yaml"
    inventory_file.write_text(
        "customers:\n"
        "  - id: acme\n"
        "    name: Acme\n"
        "    contract: {tier: cat2, starts_on: 2026-01-01}\n"
        "    hosts:\n"
        "      - {id: pbx-1, kind: pbx}\n"
        "      - {id: web-1}\n"
    )
    done = cli("inventory", "load", str(inventory_file))
    assert done.code == 0, done.err
    assert "1 customer and 2 hosts" in done.out
    hosts = cli.query(lambda conn: [h.id for h in inventory.list_hosts(conn)])
    assert hosts == ["pbx-1", "web-1"]
    inventory_file.write_text("customers:\n  - id: acme\n    nmae: Acme\n")
    done = cli("inventory", "load", str(inventory_file))
    assert done.code == 1
    assert f"{inventory_file}:3: customers.0.nmae" in done.err


def test_it_refuses_names_with_control_characters_naming_the_field(cli: Cli) -> None:
    assert cli("customer", "add", "acme", "--name", "Acme").code == 0
    injected = "x\r\nBcc: attacker@evil.example"
    refusals = [
        (("customer", "add", "b", "--name", f"B{injected}"), "name: "),
        (("customer", "add", "b", "--name", "B", "--contact", f"B <b@b.example{injected}>"),
         "--contact "),
        (("host", "add", "h", "--customer", "acme", "--name", f"h{injected}"), "name: "),
        (("check", "add", "h", "--kind", "tcp", "--target", "h:22", "--name", "a\tb"), "--name: "),
    ]  # fmt: skip
    for argv, field in refusals:
        done = cli(*argv)
        assert (done.code, done.out) == (2, ""), argv
        assert field in done.err and "control characters" in done.err, done.err
    assert cli.query(lambda conn: [c["id"] for c in inventory.list_customers(conn)]) == ["acme"]
    assert cli.query(inventory.list_hosts) == []


def test_it_refuses_an_inventory_file_with_control_characters_in_a_name(
    cli: Cli, tmp_path: Path
) -> None:
    inventory_file = tmp_path / "inventory.yaml"
    inventory_file.write_text(
        "customers:\n"
        "  - id: acme\n"
        '    name: "Acme\\r\\nBcc: attacker@evil.example"\n'
        "    hosts:\n"
        '      - {id: pbx-1, name: "pbx\\n1"}\n'
    )
    done = cli("inventory", "load", str(inventory_file))
    assert done.code == 1
    assert f"{inventory_file}:3: customers.0.name:" in done.err
    assert f"{inventory_file}:5: customers.0.hosts.0.name:" in done.err
    assert "control characters" in done.err
    assert cli.query(inventory.list_customers) == []


def test_it_exits_2_when_the_config_is_bad(cli: Cli) -> None:
    cli.config.write_text("secret_key: short\n")
    done = cli("customer", "list")
    assert done.code == 2
    assert f"{cli.config}:1: secret_key" in done.err


def test_it_counts_the_installation_month_in_calendar_months() -> None:
    assert installation_contract(date(2026, 3, 2)) == ("cat1", date(2026, 3, 2), date(2026, 4, 2))
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_it_gives_an_installed_on_customer_from_the_inventory_file_the_cat1_month(
    cli: Cli, tmp_path: Path
) -> None:
    inventory_file = tmp_path / "inventory.yaml"
    inventory_file.write_text(
        "customers:\n"
        "  - id: acme\n"
        "    name: Acme\n"
        "    installed_on: 2026-11-09\n"
        "    timezone: America/New_York\n"
        "    region: north_america\n"
        "    access: on_request\n"
        "    hosts:\n"
        "      - id: pbx-1\n"
        "        checks: [{kind: tcp, target: 'pbx:5038', remote_access: true}]\n"
    )
    done = cli("inventory", "load", str(inventory_file))
    assert done.code == 0, done.err
    at = datetime(2026, 11, 20, tzinfo=UTC)
    contract = cli.query(lambda conn: inventory.current_contract(conn, "acme", at))
    assert contract is not None and contract.tier == "cat1"
    # Midnight in New York, both ends: the month runs 9 November to 9 December there.
    assert contract.starts_on == datetime(2026, 11, 9, 5, 0, tzinfo=UTC)
    assert contract.ends_on == datetime(2026, 12, 9, 5, 0, tzinfo=UTC)
    assert cli("inventory", "load", str(inventory_file)).code == 0  # idempotent
    locale = cli.query(lambda conn: inventory.customer_locale(conn, "acme"))
    assert (locale.timezone, locale.region) == ("America/New_York", "north_america")


def test_it_cuts_contract_days_at_the_customers_midnight_and_refuses_unknown_zones(
    cli: Cli,
) -> None:
    done = cli(
        "customer", "add", "acme", "--name", "Acme", "--tier", "cat2", "--starts", "2026-01-01",
        "--ends", "2027-01-01", "--timezone", "America/New_York",
    )  # fmt: skip
    assert done.code == 0, done.err
    evening = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)  # 19:30 on 31 December in New York
    contract = cli.query(lambda conn: inventory.current_contract(conn, "acme", evening))
    assert contract is not None and contract.ends_on == datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    refused = cli("customer", "add", "b", "--name", "B", "--timezone", "Mars/Olympus")
    assert refused.code == 2 and "unknown time zone 'Mars/Olympus'" in refused.err
