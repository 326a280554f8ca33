"""A contract in plain words, as the portal states it: each target as the tier defines it,
worded as the operators' customer page words it (one function words both)."""

from __future__ import annotations

from datetime import UTC, datetime

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.operations.contract_words import contract_words, targets_in_words
from collector.store.database import Database
from tests.support.incidents import add_customer

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_it_states_a_target_on_its_own_calendar_as_the_tier_defines_it(
    db: Database, config: CollectorConfig
) -> None:
    db.transaction(add_customer, "meridian", "premium", MONDAY)
    words = db.transaction(contract_words, "meridian", MONDAY, config)
    critical = [line for line in words.targets if line.startswith("Critical")]
    # Premium's critical first response runs on ckent-24x7, not the 07:00-19:00 line.
    assert critical == ["Critical faults: first response: 1 h around the clock."]


def test_it_words_every_target_as_the_operators_customer_page_does(
    db: Database, config: CollectorConfig
) -> None:
    for name in ("premium", "cat2", "cat4", "premier-plus"):
        db.transaction(add_customer, name, name, MONDAY)
        words = db.transaction(contract_words, name, MONDAY, config)
        operator = targets_in_words(catalogue_for(config)[name])
        expected = [
            f"{severity.capitalize()} faults: {'; '.join(lines)}."
            for severity, lines in operator
            if lines != ["no response target"]
        ]
        assert words.targets == expected
