"""``faultdesk-collector host add --kind mitel --address IP --snmp-community C``."""

from __future__ import annotations

from collector.store import snmp as snmp_store
from tests.support.cli import Cli


def test_it_adds_a_mitel_host_with_its_snmp_settings(cli: Cli) -> None:
    assert cli("customer", "add", "acme", "--name", "Acme").code == 0
    snmp = ("--address", "192.0.2.10", "--snmp-community", "s3cret", "--snmp-version", "1")
    added = cli("host", "add", "acme-mitel", "--customer", "acme", "--kind", "mitel", *snmp)
    assert added.code == 0
    agent = cli.query(lambda conn: snmp_store.get_agent(conn, "acme-mitel"))
    assert agent is not None
    assert (agent.address, agent.version, agent.community) == ("192.0.2.10", "1", "s3cret")


def test_it_refuses_an_address_that_is_not_an_ip_and_a_second_host_on_one(cli: Cli) -> None:
    assert cli("customer", "add", "acme", "--name", "Acme").code == 0
    base = ("host", "add", "--customer", "acme", "--kind", "mitel", "--snmp-community", "c")
    not_an_ip = cli(*base, "m1", "--address", "pbx.acme.example")
    assert not_an_ip.code == 2  # a usage error
    assert "address" in not_an_ip.err
    assert cli(*base, "m1", "--address", "192.0.2.10").code == 0
    taken = cli(*base, "m2", "--address", "192.0.2.10")
    assert taken.code == 1
    assert "another host has the address 192.0.2.10" in taken.err
