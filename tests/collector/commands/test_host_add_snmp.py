"""``faultdesk-collector host add --kind mitel --address IP --snmp-community C``."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector import cli
from collector.store import snmp as snmp_store
from collector.store.engines import make_engine


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Path:
    path = tmp_path / "collector.yaml"
    path.write_text(f"secret_key: 0123456789abcdef0123\ndatabase:\n  url: {sqlite_url}\n")
    return path


def _run(config: Path, *argv: str) -> int:
    return cli.main([*argv, "--config", str(config)])


def test_it_adds_a_mitel_host_with_its_snmp_settings(
    config: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(config, "customer", "add", "acme", "--name", "Acme") == 0
    snmp = ("--address", "192.0.2.10", "--snmp-community", "s3cret", "--snmp-version", "1")
    code = _run(config, "host", "add", "acme-mitel", "--customer", "acme", "--kind", "mitel", *snmp)
    assert code == 0
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        agent = snmp_store.get_agent(conn, "acme-mitel")
    engine.dispose()
    assert agent is not None
    assert (agent.address, agent.version, agent.community) == ("192.0.2.10", "1", "s3cret")


def test_it_refuses_an_address_that_is_not_an_ip_and_a_second_host_on_one(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(config, "customer", "add", "acme", "--name", "Acme") == 0
    base = ("host", "add", "--customer", "acme", "--kind", "mitel", "--snmp-community", "c")
    assert _run(config, *base, "m1", "--address", "pbx.acme.example") == 2  # a usage error
    assert "address" in capsys.readouterr().err
    assert _run(config, *base, "m1", "--address", "192.0.2.10") == 0
    assert _run(config, *base, "m2", "--address", "192.0.2.10") == 1
    assert "another host has the address 192.0.2.10" in capsys.readouterr().err
