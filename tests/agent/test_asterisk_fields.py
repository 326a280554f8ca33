"""Single AMI field values as the asterisk probe reads them, including Asterisk's odd spellings."""

from __future__ import annotations

import pytest

from agent.probes.asterisk.fields import (
    count_channels,
    hms_seconds,
    pbx_time_utc,
    peer_rtt_ms,
    to_int,
)


def test_it_reads_numbers_and_takes_na_or_absence_as_unknown() -> None:
    assert to_int(" 42 ") == 42
    assert to_int("N/A") is None
    assert to_int(None) is None


@pytest.mark.parametrize(
    ("value", "count"),
    [(None, 0), ("", 0), ("3", 3), ("PJSIP/itsp-00000008", 1), ("PJSIP/a-1,PJSIP/b-2,", 2)],
)
def test_it_counts_active_channels_given_as_a_number_or_a_list(
    value: str | None, count: int
) -> None:
    assert count_channels(value) == count


@pytest.mark.parametrize(
    ("value", "seconds"), [("01:02:03", 3723), ("00:00:00", 0), ("62", 0), ("a:b:c", 0), (None, 0)]
)
def test_it_reads_a_channel_duration_and_takes_a_malformed_one_as_zero(
    value: str | None, seconds: int
) -> None:
    assert hms_seconds(value) == seconds


def test_it_reads_the_round_trip_from_a_chan_sip_peer_status() -> None:
    assert peer_rtt_ms("OK (12 ms)") == 12
    assert peer_rtt_ms("LAGGED (2100 ms)") == 2100
    assert peer_rtt_ms("UNREACHABLE") is None


def test_it_converts_pbx_wall_clock_times_to_utc_in_the_pbx_zone() -> None:
    assert pbx_time_utc("2024-01-15", "09:00:00", "America/New_York") == "2024-01-15T14:00:00+00:00"
    assert pbx_time_utc("2024-07-15", "09:00:00", "America/New_York") == "2024-07-15T13:00:00+00:00"


@pytest.mark.parametrize(
    ("date", "clock"), [(None, "09:00:00"), ("2024-01-15", ""), ("15/01/2024", "09:00:00")]
)
def test_it_gives_no_time_for_an_absent_or_unreadable_one(date: str | None, clock: str) -> None:
    assert pbx_time_utc(date, clock, "UTC") is None
