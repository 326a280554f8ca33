"""Priority tiers allow two named contacts (seed 003): a third is refused, on a new customer
and when a customer with three moves to Priority; other tiers take any number."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from collector.operations.inventory import (
    ContractIn,
    NewCustomer,
    TooManyContacts,
    change_contract,
    create_customer,
    unknown_tier,
)
from collector.store.database import Database
from tests.support.collector import collector_config

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PEOPLE = [{"name": f"P{i}", "email": f"p{i}@acme.example"} for i in range(3)]


def _customer(tier: str, people: int) -> NewCustomer:
    contract = {"tier": tier, "starts_on": "2026-01-01"}
    return NewCustomer.model_validate(
        {"id": "acme", "name": "Acme", "contacts": PEOPLE[:people], "contract": contract}
    )


def test_it_refuses_a_third_named_contact_on_a_priority_customer(tmp_path: Path) -> None:
    config = collector_config("sqlite://", tmp_path)
    assert unknown_tier(_customer("priority-uk", 2), config) is None
    assert unknown_tier(_customer("priority-uk", 3), config) == (
        "the priority-uk tier allows 2 named contacts; 3 given"
    )
    assert unknown_tier(_customer("cat2", 3), config) is None


def test_it_refuses_a_move_to_priority_with_three_contacts(db: Database, tmp_path: Path) -> None:
    config = collector_config("sqlite://", tmp_path)
    db.transaction(create_customer, _customer("cat2", 3), NOW)
    terms = ContractIn(tier="priority-uk", starts_on=date(2026, 3, 1))
    with pytest.raises(TooManyContacts, match="allows 2 named contacts; 3 given"):
        db.transaction(change_contract, "acme", terms, NOW, config)
