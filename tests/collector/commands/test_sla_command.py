"""``faultdesk-collector sla due``: the quote an operator reads to a customer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import Cli


@pytest.fixture
def sla_due(cli: Cli) -> Cli:
    return cli.without_config().under("sla", "due")


def test_it_prints_each_target_in_utc_and_in_the_tiers_zone(sla_due: Cli) -> None:
    code, out, _ = sla_due(
        "--tier", "priority-uk", "--severity", "major", "--at", "2020-12-24T18:10Z"
    )
    assert code == 0
    assert "first_response  2020-12-29T11:00:00Z  2020-12-29 11:00 GMT Europe/London" in out
    assert "opened Thu 24 Dec 18:10 outside hours; 25, 28 Dec public holidays" in out


def test_it_prints_json_targets_in_utc(sla_due: Cli) -> None:
    code, out, _ = sla_due(
        *("--tier", "premier", "--severity", "critical", "--at", "2026-03-10T14:59-04:00"),
        *("--region", "north_america", "--json"),
    )
    assert code == 0
    assert json.loads(out)["targets"] == {
        "parts_dispatch": "2026-03-10T21:00:00Z",
        "parts_delivery": "2026-03-11T21:00:00Z",
        "part_return": "2026-03-18T21:00:00Z",
    }


def test_it_starts_on_site_and_parts_clocks_at_their_own_times(sla_due: Cli) -> None:
    _, out, _ = sla_due(
        *("--tier", "premier", "--severity", "minor", "--at", "2026-03-10T09:00-04:00"),
        *("--failure-confirmed-at", "2026-03-10T15:01-04:00", "--json"),
    )
    assert json.loads(out)["targets"]["parts_dispatch"] == "2026-03-11T21:00:00Z"


def test_it_says_when_a_tier_is_not_covered(sla_due: Cli) -> None:
    code, out, _ = sla_due("--tier", "none", "--severity", "critical", "--at", "2026-03-10T10:00Z")
    assert code == 0 and "not covered" in out
    _, out, _ = sla_due(
        "--tier", "none", "--severity", "critical", "--at", "2026-03-10T10:00Z", "--json"
    )
    assert json.loads(out)["targets"] == {} and json.loads(out)["covered"] is False


def test_it_refuses_a_time_without_an_offset(sla_due: Cli) -> None:
    refused = sla_due("--tier", "cat1", "--severity", "major", "--at", "2026-03-10T09:00")
    assert refused.code == 2
    assert "has no UTC offset; add Z or an offset" in refused.err


def test_it_refuses_an_unknown_tier_naming_the_known(sla_due: Cli) -> None:
    code, _, err = sla_due("--tier", "gold", "--severity", "major", "--at", "2026-03-10T10:00Z")
    assert code == 2 and "unknown tier 'gold'" in err and "priority-uk" in err


def test_it_reads_another_catalogue_and_reports_its_errors(tmp_path: Path, sla_due: Cli) -> None:
    catalogue = tmp_path / "tiers.yaml"
    catalogue.write_text(
        "version: 1\n"
        "calendars:\n"
        "  always: {zone: UTC, hours: 24x7}\n"
        "tiers:\n"
        "  fast: {title: Fast, source: test, calendar: always, targets: {first_response: 90m}}\n",
        encoding="utf-8",
    )
    args = ("--tier", "fast", "--severity", "minor", "--at", "2026-03-10T09:00+01:00")
    code, out, _ = sla_due(*args, "--catalogue", str(catalogue), "--json")
    assert code == 0 and json.loads(out)["targets"] == {"first_response": "2026-03-10T09:30:00Z"}
    catalogue.write_text("version: 2\ncalendars: {}\ntiers: {}\n", encoding="utf-8")
    code, _, err = sla_due(*args, "--catalogue", str(catalogue))
    assert code == 2 and f"{catalogue}:1: version" in err


def test_it_takes_now_for_the_moment_the_fault_is_raised(sla_due: Cli) -> None:
    code, out, _ = sla_due("--tier", "cat2", "--severity", "critical", "--at", "now", "--json")
    assert code == 0
    assert json.loads(out)["targets"]
