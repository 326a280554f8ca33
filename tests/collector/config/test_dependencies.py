"""The dependency rules file: the shipped defaults, overrides, and refusals naming the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config.dependencies import default_dependencies_path, load_dependencies
from collector.config.settings import ConfigError

OUTAGE = frozenset({"service:asterisk", "unit:asterisk.service", "asterisk.ami", "port:5038",
                    "port:5060/udp", "sip", "remote.sip", "asterisk.trunk:t1",
                    "asterisk.registration:t1", "asterisk.endpoint:101", "disk:/"})  # fmt: skip


def test_it_ships_rules_where_the_asterisk_unit_explains_the_whole_pbx_side() -> None:
    rules = load_dependencies(default_dependencies_path()).for_host("pbx", "acme", "acme-pbx-1")
    roots = rules.roots(OUTAGE)
    assert set(roots) == OUTAGE - {"unit:asterisk.service", "disk:/"}
    assert set(roots.values()) == {"unit:asterisk.service"}
    alone = rules.roots(OUTAGE - {"unit:asterisk.service"})
    assert set(alone.values()) == {"service:asterisk"}


def test_it_ships_no_pbx_rules_for_a_server_but_sshd_for_every_host() -> None:
    rules = load_dependencies(default_dependencies_path()).for_host("server", "acme", "files")
    assert rules.roots(OUTAGE) == {}
    assert rules.roots(frozenset({"service:sshd", "remote.ssh", "port:22"})) == {
        "remote.ssh": "service:sshd", "port:22": "service:sshd"
    }  # fmt: skip


def test_it_refuses_a_cycle_made_by_a_customer_override_naming_the_rule_and_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dependencies.yaml"
    path.write_text(
        "kinds:\n"
        "  pbx:\n"
        "    - {name: asterisk-process, cause: 'service:asterisk', explains: ['asterisk.*']}\n"
        "customers:\n"
        "  acme:\n"
        "    rules:\n"
        "      - name: ami-restarts-asterisk\n"
        "        cause: asterisk.ami\n"
        "        explains: ['service:asterisk']\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_dependencies(path)
    message = str(caught.value)
    assert "cycle" in message and "ami-restarts-asterisk" in message
    assert message.startswith(f"{path}:7:")


def test_it_refuses_a_pattern_as_a_cause_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "dependencies.yaml"
    path.write_text("every_kind:\n  - {name: x, cause: 'service:*', explains: [sip]}\n")
    with pytest.raises(ConfigError, match=r"dependencies.yaml:2: every_kind.0.cause"):
        load_dependencies(path)


def test_it_applies_a_host_override_over_its_customer_and_kind(tmp_path: Path) -> None:
    path = tmp_path / "dependencies.yaml"
    path.write_text(
        "kinds:\n"
        "  pbx:\n"
        "    - {name: ami, cause: asterisk.ami, explains: ['asterisk.*']}\n"
        "hosts:\n"
        "  acme-pbx-2: {remove: [ami]}\n"
    )
    catalogue = load_dependencies(path)
    assert catalogue.for_host("pbx", "acme", "acme-pbx-1").names == ("ami",)
    assert catalogue.for_host("pbx", "acme", "acme-pbx-2").names == ()
