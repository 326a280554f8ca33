"""AMI events into the asterisk probe's metric rows, without a PBX."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.probes.ami import AmiMessage
from agent.probes.asterisk.rows import (
    channels_summary,
    contact_row,
    core_status,
    endpoint_row,
    queue_row,
    sip_peer_row,
)

TRUNKS = ("itsp",)


def _event(**pairs: str) -> AmiMessage:
    return AmiMessage(tuple(pairs.items()))


def _status(**pairs: str) -> AmiMessage:
    return _event(CoreStartupDate="2024-05-01", CoreStartupTime="06:30:00", **pairs)


def test_it_counts_uptime_from_the_startup_time_to_now() -> None:
    now = datetime(2024, 5, 1, 7, 30, 5, tzinfo=UTC)
    metrics = core_status(_status(CoreCurrentCalls="3"), "UTC", now)
    assert (metrics["startup_at"], metrics["uptime_s"]) == ("2024-05-01T06:30:00+00:00", 3605)
    assert (metrics["current_calls"], metrics["processed_calls"]) == (3, None)


def test_it_never_reports_negative_uptime_when_the_pbx_clock_is_ahead() -> None:
    now = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
    assert core_status(_status(), "UTC", now)["uptime_s"] == 0


def test_it_reports_no_uptime_without_a_startup_time() -> None:
    assert core_status(_event(), "UTC", datetime.now(UTC))["uptime_s"] is None


def test_it_marks_an_endpoint_as_a_trunk_by_its_name() -> None:
    row = endpoint_row(_event(ObjectName="itsp", ActiveChannels="PJSIP/itsp-1"), TRUNKS)
    assert row == {"name": "itsp", "device_state": "Unknown", "trunk": True, "active_channels": 1}


def test_it_takes_a_contacts_aor_from_its_id_and_its_endpoint_from_the_aor() -> None:
    row = contact_row(
        _event(ObjectName="itsp;@5f3a9c", Uri="sip:sip.example:5060", RoundtripUsec="N/A"),
        TRUNKS,
    )
    assert (row["aor"], row["endpoint"], row["trunk"]) == ("itsp", "itsp", True)
    assert (row["status"], row["rtt_ms"]) == ("Unknown", None)


def test_it_reports_a_contacts_round_trip_in_milliseconds() -> None:
    row = contact_row(_event(ObjectName="201;@ab", Endpoint="201", RoundtripUsec="950"), TRUNKS)
    assert (row["endpoint"], row["rtt_ms"], row["trunk"]) == ("201", 0.95, False)


def test_it_summarises_channels_by_count_and_the_longest() -> None:
    events = [
        _event(Channel="PJSIP/201-1", Duration="00:01:15"),
        _event(Channel="PJSIP/itsp-2", Duration="01:02:03"),
        _event(Channel="PJSIP/202-3", Duration="garbled"),
    ]
    assert channels_summary(events) == {
        "count": 3,
        "longest_s": 3723,
        "longest_channel": "PJSIP/itsp-2",
    }


def test_it_names_a_channel_even_when_no_duration_can_be_read() -> None:
    assert channels_summary([_event(Channel="PJSIP/201-1")])["longest_channel"] == "PJSIP/201-1"
    assert channels_summary([]) == {"count": 0, "longest_s": 0, "longest_channel": None}


def test_it_reads_queue_counters_and_leaves_unreadable_ones_unknown() -> None:
    row = queue_row(_event(Queue="sales", LoggedIn="2", Available="1", Callers="N/A"))
    assert row["queue"] == "sales"
    assert (row["logged_in"], row["available"], row["callers"], row["hold_time_s"]) == (
        2,
        1,
        None,
        None,
    )


def test_it_reads_a_chan_sip_peers_round_trip_from_its_status() -> None:
    row = sip_peer_row(_event(ObjectName="itsp", Status="LAGGED (2100 ms)"), TRUNKS)
    assert (row["rtt_ms"], row["trunk"]) == (2100, True)
    assert sip_peer_row(_event(ObjectName="201"), TRUNKS)["status"] == "UNKNOWN"
