"""The on-call rota in the collector config: validated at start, naming file, line and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.config.settings import ConfigError, load_config

HEAD = "secret_key: 0123456789abcdef0123\noncall:\n"
PEOPLE = """\
  people:
    - name: alice
      timezone: America/New_York
      pager: {email: 15550001@sms.example}
    - name: bob
      timezone: Europe/London
      pager: {webhook: "https://pager.example/hook"}
"""
ROTATION = """\
  rotation:
    zone: America/New_York
    handover_day: monday
    handover_time: "09:00"
    starts_on: 2026-01-05
    people: [alice, bob]
"""


def _load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "collector.yaml"
    path.write_text(HEAD + text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value).replace(str(path), "FILE")


def test_it_builds_the_rota_from_a_valid_section(tmp_path: Path) -> None:
    path = tmp_path / "collector.yaml"
    path.write_text(HEAD + PEOPLE + ROTATION + "  escalation: [bob]\n")
    rota = load_config(path).oncall.rota()
    person = rota.on_call_at(datetime(2026, 1, 13, 12, 0, tzinfo=UTC))
    assert person is not None and person.name == "bob"
    assert person.pager.kind == "webhook" and person.zone == "Europe/London"
    chain = rota.escalation_chain(datetime(2026, 1, 6, tzinfo=UTC))
    assert [p.name for p in chain] == ["alice", "bob"]


def test_it_names_a_rotation_person_who_is_not_defined(tmp_path: Path) -> None:
    message = _load(tmp_path, PEOPLE + ROTATION.replace("[alice, bob]", "[alice, zed]"))
    assert "FILE:11: oncall.rotation: Value error, not among oncall.people: zed" in message


def test_it_refuses_a_pager_with_both_or_neither_address(tmp_path: Path) -> None:
    both = PEOPLE.replace("{email: 15550001@sms.example}", "{email: a@b.c, webhook: http://x}")
    assert "FILE:6: oncall.people.0.pager: Value error, give a pager exactly one" in _load(
        tmp_path, both
    )
    neither = PEOPLE.replace("{email: 15550001@sms.example}", "{}")
    assert "oncall.people.0.pager" in _load(tmp_path, neither)


def test_it_refuses_an_unknown_time_zone(tmp_path: Path) -> None:
    message = _load(tmp_path, PEOPLE.replace("Europe/London", "Europe/Londres"))
    assert "FILE:8: oncall.people.1.timezone: Value error, 'Europe/Londres' is not an IANA" in (
        message
    )


def test_it_refuses_a_start_that_is_not_a_handover_day(tmp_path: Path) -> None:
    message = _load(tmp_path, PEOPLE + ROTATION.replace("2026-01-05", "2026-01-06"))
    assert "oncall.rotation: Value error, starts_on 2026-01-06 is not a monday" in message


def test_it_asks_for_a_quoted_handover_time(tmp_path: Path) -> None:
    message = _load(tmp_path, PEOPLE + ROTATION.replace('"09:00"', "15:00"))
    assert "oncall.rotation.handover_time" in message and "quote it" in message


def test_it_refuses_an_escalation_naming_someone_twice(tmp_path: Path) -> None:
    message = _load(tmp_path, PEOPLE + ROTATION + "  escalation: [bob, bob]\n")
    assert "oncall.escalation: Value error, name each person once" in message
