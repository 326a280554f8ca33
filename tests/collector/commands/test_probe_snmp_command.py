"""``faultdesk-collector probe snmp``: a real snmpd answering as a Mitel 3300; the alarm level
decides the exit code (0 clear, 1 minor or major, 2 critical or no answer, 3 bad usage)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cli import Cli
from tests.support.snmpd import SYS_DESCR, MitelAgent, free_udp_port, running_snmpd

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MitelAgent]:
    with running_snmpd(tmp_path_factory.mktemp("snmpd")) as agent:
        yield agent


@pytest.fixture
def probe_snmp(cli: Cli) -> Cli:
    return cli.without_config().under("probe", "snmp")


def test_it_exits_by_the_mitel_alarm_level(probe_snmp: Cli, snmpd: MitelAgent) -> None:
    target = (f"127.0.0.1:{snmpd.port}", "--community", snmpd.community)
    snmpd.set_alarm(1)
    code, out, _ = probe_snmp(*target)
    assert code == 0
    assert out.startswith(f"SNMP OK - Mitel alarm level: ok; {SYS_DESCR} in ")

    snmpd.set_alarm(3, [("Trunks", 3)])
    code, out, _ = probe_snmp(*target)
    assert (code, out.split(";")[:2]) == (1, ["SNMP WARNING - Mitel alarm level: major",
                                             " in alarm: Trunks (major)"])  # fmt: skip

    snmpd.set_alarm(4, [("Call control", 4)])
    assert probe_snmp(*target)[0] == 2


def test_it_gets_the_objects_named(probe_snmp: Cli, snmpd: MitelAgent) -> None:
    code, out, _ = probe_snmp(f"127.0.0.1:{snmpd.port}", "--community", snmpd.community,
                    "--oid", "1.3.6.1.2.1.1.1.0")  # fmt: skip
    assert code == 0
    assert out.startswith(f"SNMP OK - 1.3.6.1.2.1.1.1.0 = {SYS_DESCR} in ")


def test_it_exits_2_without_an_answer_and_3_on_bad_usage(
    probe_snmp: Cli, snmpd: MitelAgent
) -> None:
    silent = f"127.0.0.1:{free_udp_port()}"
    code, out, _ = probe_snmp(silent, "--community", "x", "--timeout", "0.2")
    assert code == 2
    assert out.startswith("SNMP CRITICAL - no answer")
    wrong = probe_snmp(f"127.0.0.1:{snmpd.port}", "--community", "wrong", "--timeout", "0.2")
    assert wrong.code == 2

    assert probe_snmp(silent).code == 3  # no community
    assert probe_snmp(silent, "--community", "x", "--oid", "sysDescr").code == 3


def test_it_shows_an_ip_address_object_as_a_dotted_quad(probe_snmp: Cli, snmpd: MitelAgent) -> None:
    address = "1.3.6.1.2.1.4.20.1.1.127.0.0.1"  # ipAdEntAddr of the loopback interface
    code, out, _ = probe_snmp(f"127.0.0.1:{snmpd.port}", "--community", snmpd.community,
                              "--oid", address)  # fmt: skip
    assert code == 0
    assert out.startswith(f"SNMP OK - {address} = 127.0.0.1 in ")
