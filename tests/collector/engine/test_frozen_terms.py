"""Tiers rebuilt from an incident's frozen terms are shared by equal terms only: terms read
back alike give the one tier, terms that differ in any value or type never do."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from collector.engine import incident_terms
from collector.engine.incident_terms import tier_from_policy

DEFINITION = {
    "first_response": {
        "within_s": 3600.0, "business_days": None, "business_days_by_region": [],
        "same_day_cutoff": None,
        "calendar": {
            "name": "office", "zone": "Europe/London", "weekly": [["09:00-17:00"]] * 5 + [[], []],
            "holiday_country": "GB", "holiday_subdiv": None, "closed": [], "overrides": [],
        },
    }
}  # fmt: skip


def _policy(definition: Any) -> dict[str, Any]:
    # Each read back afresh, as every read of an incident's stored terms is.
    return json.loads(json.dumps({"tier": "cat2", "title": "Category 2", "definition": definition}))


def _tier(policy: dict[str, Any]) -> Any:
    return tier_from_policy(policy, "major", {}, "cat2")


def test_it_gives_terms_read_back_alike_one_tier() -> None:
    assert _tier(_policy(DEFINITION)) is _tier(_policy(DEFINITION))


def test_it_never_shares_a_tier_between_terms_that_differ() -> None:
    hours = json.loads(json.dumps(DEFINITION))
    hours["first_response"]["within_s"] = 7200.0
    as_int = json.loads(json.dumps(DEFINITION))
    as_int["first_response"]["within_s"] = 3600  # the same number, another JSON type
    tiers = [_tier(_policy(definition)) for definition in (DEFINITION, hours, as_int)]
    assert len({id(tier) for tier in tiers}) == 3
    within = [tier.targets("major")["first_response"].within for tier in tiers]
    assert [w.total_seconds() for w in within] == [3600, 7200, 3600]


def test_it_keys_a_definition_marshal_cannot_write_by_its_repr() -> None:
    odd = {"first_response": {"at": datetime(2026, 1, 1, tzinfo=UTC)}}
    assert incident_terms._content_key(odd) == repr(odd)
