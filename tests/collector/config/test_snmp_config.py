"""The ``snmp:`` settings and hosts' SNMP entries: bad values refused naming file, line and
field; a configured profile joins the built-in Mitel one; inventory hosts get their agent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.config.inventory_file import load_inventory
from collector.config.settings import ConfigError, load_config
from collector.store import probe_results as probe_store
from collector.store import snmp as snmp_store
from collector.store.database import Database

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
SECRET = "secret_key: 0123456789abcdef0123\n"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_it_refuses_a_listen_address_without_a_port(tmp_path: Path) -> None:
    path = tmp_path / "collector.yaml"
    path.write_text(SECRET + "snmp:\n  listen: 127.0.0.1\n")
    assert f"{path}:3: snmp.listen: Value error, expected HOST:PORT" in _refusal(path)


def test_it_refuses_a_profile_value_that_is_not_a_level(tmp_path: Path) -> None:
    path = tmp_path / "collector.yaml"
    path.write_text(
        SECRET + "snmp:\n  profiles:\n    ups:\n      alarms:\n"
        "        - {notification: 1.3.6.1.4.1.9.0.1, level: 1.3.6.1.4.1.9.1, values: {2: bad}}\n"
    )
    assert "snmp.profiles.ups.alarms.0.values.2" in _refusal(path)


def test_it_offers_the_built_in_mitel_profile_beside_configured_ones(tmp_path: Path) -> None:
    path = tmp_path / "collector.yaml"
    path.write_text(SECRET + "snmp:\n  listen: 0.0.0.0:162\n  profiles:\n    ups: {label: UPS}\n")
    settings = load_config(path).snmp
    assert settings.listen_address == ("0.0.0.0", 162)
    assert sorted(settings.profile_book) == ["mitel-3300", "ups"]


def test_it_loads_a_mitel_host_with_its_address_snmp_and_access_check(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(
        "customers:\n  - id: acme\n    name: Acme\n    hosts:\n"
        "      - id: acme-mitel\n        kind: mitel\n        address: 192.0.2.10\n"
        "        snmp: {version: '2c', community: s3cret}\n"
    )
    for _ in range(2):  # loading twice changes nothing
        with db.engine.begin() as conn:
            load_inventory(conn, path, NOW)

    with db.engine.begin() as conn:
        agent = snmp_store.get_agent(conn, "acme-mitel")
        checks = probe_store.list_checks(conn, "acme-mitel")
    assert agent is not None
    assert (agent.address, agent.community, agent.profile) == ("192.0.2.10", "s3cret", "mitel-3300")
    assert [(c.kind, c.name, c.target) for c in checks] == [
        ("http", "admin", "https://192.0.2.10/")
    ]


def test_it_refuses_snmp_settings_without_the_hosts_address(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(
        "customers:\n  - id: acme\n    name: Acme\n    hosts:\n"
        "      - id: acme-mitel\n        snmp: {community: s3cret}\n"
    )
    with (
        pytest.raises(ConfigError, match="address and snmp settings go together"),
        db.engine.begin() as conn,
    ):
        load_inventory(conn, path, NOW)
