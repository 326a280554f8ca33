"""A report's figures by metric name, network rates, and rollups that are exact."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from collector.domain.figures import (
    Counters,
    counters_from_report,
    figures_from_report,
    rates,
    roll_up,
)
from tests.support.figures import pbx_probes, system_probes


def test_it_names_figures_after_the_agents_fields() -> None:
    found = figures_from_report(system_probes(cpu=33.0, root_used=80.5))
    assert found["cpu_percent"] == 33.0
    assert found["load_1m"] == 0.4
    assert found["memory.used_percent"] == 41.0
    assert found["swap.used_percent"] == 0.0
    assert found["filesystem:/.used_percent"] == 80.5
    assert found["filesystem:/var.inodes_used_percent"] == 9.5
    assert found["process_count"] == 120


def test_it_counts_a_pbxs_registered_trunks_reachable_endpoints_and_channels() -> None:
    found = figures_from_report(pbx_probes(pstn="Rejected"))
    assert found["asterisk.registered_trunks"] == 1
    assert found["asterisk.reachable_endpoints"] == 2
    assert found["asterisk.active_channels"] == 6
    assert found["asterisk.current_calls"] == 3
    assert found["trunk:pstn.registered"] == 0
    assert found["trunk:backup.registered"] == 1
    assert found["sip.rtt_ms"] == 2.5


def test_it_leaves_out_what_is_not_a_number() -> None:
    probes = {"system": {"metrics": {"cpu_percent": "high", "load_1m": True, "filesystems": 3}}}
    assert figures_from_report(probes) == {}
    assert figures_from_report({"system": "garbage"}) == {}


def test_it_turns_network_counters_into_rates_per_second() -> None:
    before = counters_from_report(system_probes(received=1000, sent=0), at=100.0)
    after = counters_from_report(system_probes(received=7000, sent=600), at=160.0)
    assert rates(before, after) == {
        "network:eth0.received_bytes_per_s": 100.0,
        "network:eth0.sent_bytes_per_s": 10.0,
    }


def test_it_makes_no_rate_across_a_reboot_or_without_a_previous_reading() -> None:
    before = Counters(100.0, {"network:eth0.received_bytes_per_s": 5000.0})
    after = Counters(160.0, {"network:eth0.received_bytes_per_s": 10.0})
    assert rates(before, after) == {}
    assert rates(None, after) == {}
    assert rates(after, after) == {}


samples = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4 * 86400),
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    ),
    min_size=1,
    max_size=200,
)


@given(samples, st.sampled_from([300, 3600]))
def test_it_rolls_up_to_the_mean_of_the_samples_each_bucket_covers(
    points: list[tuple[int, float]], step_s: int
) -> None:
    buckets = roll_up(points, step_s)
    assert sum(b.count for b in buckets.values()) == len(points)
    for start, bucket in buckets.items():
        covered = [v for t, v in points if start <= t < start + step_s]
        assert math.isclose(bucket.mean, sum(covered) / len(covered), rel_tol=1e-9, abs_tol=1e-6)
        assert bucket.low == min(covered) and bucket.high == max(covered)
        assert bucket.low <= bucket.mean + 1e-6 and bucket.mean <= bucket.high + 1e-6


@given(samples, st.integers(min_value=1, max_value=199))
def test_it_rolls_up_the_same_whatever_order_or_batches_samples_come_in(
    points: list[tuple[int, float]], cut: int
) -> None:
    whole = roll_up(points, 300)
    first, second = roll_up(points[:cut], 300), roll_up(list(reversed(points[cut:])), 300)
    merged = dict(first)
    for start, bucket in second.items():
        merged[start] = merged[start].merge(bucket) if start in merged else bucket
    assert merged.keys() == whole.keys()
    for start, bucket in whole.items():
        assert (merged[start].low, merged[start].high) == (bucket.low, bucket.high)
        assert merged[start].count == bucket.count
        assert math.isclose(merged[start].total, bucket.total, rel_tol=1e-9, abs_tol=1e-6)
