"""A severity rise: each target the earlier of the promise made and the new one from the rise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from collector.config.tiers import default_catalogue_path, load_catalogue
from collector.domain.sla import earliest, target_clocks
from collector.domain.tiers import SEVERITIES

CATALOGUE = load_catalogue(default_catalogue_path())
COVERED = sorted(name for name, tier in CATALOGUE.items() if tier.covered)
START = datetime(2026, 11, 2, tzinfo=UTC)
RANKED = tuple(reversed(SEVERITIES))  # minor, major, critical


@given(
    tier=st.sampled_from(COVERED),
    opened=st.integers(min_value=0, max_value=60 * 24 * 60),
    rise_after=st.integers(min_value=0, max_value=10 * 24 * 60),
    levels=st.lists(st.integers(min_value=0, max_value=2), min_size=2, max_size=2, unique=True),
)
def test_it_never_makes_a_target_later_on_a_rise(
    tier: str, opened: int, rise_after: int, levels: list[int]
) -> None:
    low, high = (RANKED[i] for i in sorted(levels))
    opened_at = START + timedelta(minutes=opened)
    before = target_clocks(CATALOGUE[tier], low, opened_at)
    rise = target_clocks(CATALOGUE[tier], high, opened_at + timedelta(minutes=rise_after))
    after = earliest(before, rise)
    for name, clock in before.items():
        assert after[name].due <= clock.due
    assert set(after) == set(before) | set(rise)
