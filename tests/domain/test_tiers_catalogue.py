"""The shipped tier catalogue loads every seed tier; a bad one is refused with file, line, field."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest

from collector.config.tiers import (
    CatalogueError,
    default_catalogue_path,
    load_catalogue,
    parse_duration,
)
from collector.config.tiers_schema import SeverityName, TargetName
from collector.domain.tiers import SEVERITIES, TARGET_NAMES, Tier

SEED_TIERS = {
    "none",
    "cat-s",
    "cat1",
    "cat2",
    "cat4",
    "standard",
    "premium",
    "per-incident",
    "priority-uk",
    "priority-us",
    "premier",
    "premier-plus",
}


@pytest.fixture(scope="module")
def tiers() -> dict[str, Tier]:
    return load_catalogue(default_catalogue_path())


def test_it_finds_the_catalogue_shipped_beside_the_source() -> None:
    path = default_catalogue_path()
    assert path.name == "tiers.yaml" and path.parent.name == "config"


def test_it_loads_every_seed_tier_with_every_severity(tiers: dict[str, Tier]) -> None:
    assert set(tiers) == SEED_TIERS
    for tier in tiers.values():
        assert set(tier.severities) == set(SEVERITIES)
        assert tier.source in {"000", "001", "002", "003", "004"}
    assert [name for name, tier in tiers.items() if not tier.covered] == ["none"]


def test_it_puts_each_tier_on_the_zone_its_seed_names(tiers: dict[str, Tier]) -> None:
    zones = {name: tier.calendar.zone for name, tier in tiers.items() if tier.calendar}
    assert zones == {
        "cat-s": "Europe/London",
        "cat1": "Europe/London",
        "cat2": "Europe/London",
        "cat4": "Europe/London",
        "standard": "America/New_York",
        "premium": "America/New_York",
        "per-incident": "Europe/Berlin",
        "priority-uk": "Europe/London",
        "priority-us": "America/New_York",
        "premier": "America/New_York",
        "premier-plus": "America/New_York",
    }
    cat1 = tiers["cat1"].calendar
    assert cat1 is not None and (cat1.holiday_country, cat1.holiday_subdiv) == ("GB", "ENG")


def test_it_reads_targets_escalation_billing_and_entitlement(tiers: dict[str, Tier]) -> None:
    assert tiers["cat1"].targets("minor")["first_response"].within == timedelta(hours=8)
    assert tiers["cat2"].targets("major")["first_response"].within == timedelta(hours=4)
    premium = tiers["premium"]
    assert premium.targets("critical")["first_response"].calendar.name == "ckent-24x7"
    assert premium.targets("major")["first_response"].calendar.name == "ckent-us"
    assert premium.escalation.repage_after == timedelta(minutes=15)
    dispatch = tiers["premier"].targets("critical")["parts_dispatch"]
    assert dispatch.same_day_cutoff == time(15, 0)
    ret = tiers["premier"].targets("critical")["part_return"]
    assert (ret.business_days_for("north_america"), ret.business_days_for("other")) == (5, 10)
    cats = tiers["cat-s"].billing
    assert (cats.price, cats.currency, cats.plus_vat) == (Decimal("70.00"), "GBP", True)
    assert cats.max_hours_per_incident == timedelta(hours=2)
    credits = tiers["per-incident"].billing
    assert credits.credit_valid_days == 365 and not credits.charge_product_defects
    priority = tiers["priority-uk"].entitlement
    assert priority.front_of_queue and priority.named_contacts == 2
    assert any("handsets" in item for item in tiers["cat1"].entitlement.not_covered)


def test_premium_pages_for_critical_incidents_only_outside_staffed_hours(
    tiers: dict[str, Tier],
) -> None:
    premium = tiers["premium"]
    # ckent-us is staffed 07:00-19:00 America/New_York on weekdays (EST is UTC-5 in January).
    tue_0300_eastern = datetime(2027, 1, 12, 8, 0, tzinfo=UTC)
    tue_1000_eastern = datetime(2027, 1, 12, 15, 0, tzinfo=UTC)
    sat_1000_eastern = datetime(2027, 1, 16, 15, 0, tzinfo=UTC)
    assert premium.pages_on_call("critical", tue_0300_eastern)
    assert not premium.pages_on_call("critical", tue_1000_eastern)
    assert premium.pages_on_call("critical", sat_1000_eastern)
    assert not premium.pages_on_call("major", tue_0300_eastern)
    assert not tiers["standard"].pages_on_call("critical", tue_0300_eastern)


def test_it_keeps_the_schema_names_in_step_with_the_domain() -> None:
    assert get_args(SeverityName) == SEVERITIES
    assert get_args(TargetName) == TARGET_NAMES


def test_it_parses_durations() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("45min") == timedelta(minutes=45)
    for bad in ("", "8", "h", "1d"):
        with pytest.raises(ValueError):
            parse_duration(bad)


MINIMAL = """\
version: 1
calendars:
  office:
    zone: Europe/London
    hours: {mon-fri: ["09:00-17:00"]}
tiers:
  basic:
    title: Basic
    source: "002"
    calendar: office
    targets:
      first_response: 8h
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    return str(caught.value)


def test_it_loads_a_minimal_catalogue(tmp_path: Path) -> None:
    tiers = load_catalogue(write(tmp_path, MINIMAL))
    assert tiers["basic"].targets("critical")["first_response"].within == timedelta(hours=8)


@pytest.mark.parametrize(
    ("old", "new", "where", "why"),
    [
        (
            "first_response: 8h",
            "first_response: {withn: 8h}",
            ":12: tiers.basic.targets.first_response.withn",
            "Extra inputs",
        ),
        (
            "first_response: 8h",
            "first_response: 8 hours",
            ":12: tiers.basic.targets.first_response.within",
            "must look like 8h",
        ),
        ("calendar: office", "calendar: offce", ":10: tiers.basic.calendar", "unknown calendar"),
        ("Europe/London", "Europe/Atlantis", ":4: calendars.office.zone", "Europe/Atlantis"),
        ('["09:00-17:00"]', '["9-5"]', ":5: calendars.office.hours.mon-fri", "09:00-17:30"),
        ("mon-fri:", "fri-mon:", ":5: calendars.office.hours.fri-mon", "backwards"),
        (
            "first_response: 8h",
            "parts_dispatch: {business_days: 1, same_day_cutoff: 15:00}",
            ":12: tiers.basic.targets.parts_dispatch.same_day_cutoff",
            "valid string",
        ),
        (
            "first_response: 8h",
            "part_return: {business_days: {north_america: 5}}",
            ":12: tiers.basic.targets.part_return.business_days",
            "'other'",
        ),
        ("first_response: 8h", "teleport: 8h", ":12: tiers.basic.targets.teleport", "Input"),
        (
            'source: "002"',
            'source: "002"\n    covered: false',
            ":10: tiers.basic.covered",
            "not covered",
        ),
    ],
)
def test_it_names_file_line_and_field_of_a_bad_catalogue(
    tmp_path: Path, old: str, new: str, where: str, why: str
) -> None:
    assert old in MINIMAL
    message = refusal(tmp_path, MINIMAL.replace(old, new, 1))
    assert f"{tmp_path / 'tiers.yaml'}{where}" in message
    assert why in message


def test_it_refuses_an_unknown_holiday_country(tmp_path: Path) -> None:
    text = MINIMAL.replace("    hours:", "    holidays: {country: XX}\n    hours:")
    message = refusal(tmp_path, text)
    assert ":5: calendars.office.holidays" in message and "XX" in message


def test_it_refuses_a_duplicate_tier(tmp_path: Path) -> None:
    text = MINIMAL + MINIMAL[MINIMAL.index("  basic:") :]
    assert "tiers.yaml:13: duplicate key 'basic'" in refusal(tmp_path, text)


def test_it_refuses_a_missing_file_and_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "absent.yaml")
    assert "not valid YAML" in refusal(tmp_path, "tiers: [unclosed\n")
