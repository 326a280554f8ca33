"""The asterisk probe: one AMI session per cycle against a peer speaking Asterisk's protocol."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from agent.probes.asterisk import AsteriskSettings, collect, detect_events
from agent.probes.base import run_probe
from tests.support.ami_scenario import (
    AmiScenario,
    Channel,
    Contact,
    Endpoint,
    Queue,
    Registration,
    SipPeer,
    SipRegistry,
)
from tests.support.ami_server import AmiTestServer, closed_port, running_ami_server


@pytest.fixture
def scenario() -> AmiScenario:
    """A small office PBX: one ITSP trunk, two phones, one call up for an hour."""
    return AmiScenario(
        current_calls=1,
        max_calls=50,
        endpoints=[Endpoint("itsp", "In use", active_channels=1), Endpoint("201"), Endpoint("202")],
        registrations=[Registration("itsp", endpoint="itsp")],
        contacts=[
            Contact("itsp", "sip:sip.provider.example:5060", rtt_usec=18250),
            Contact("201", "sip:201@192.0.2.31:5060;ob", rtt_usec=950),
            Contact("202", "sip:202@192.0.2.32:5060", rtt_usec=None, status="Unknown"),
        ],
        channels=[Channel("PJSIP/201-00000007", 75), Channel("PJSIP/itsp-00000008", 3723)],
    )


@pytest.fixture
def pbx(scenario: AmiScenario) -> Iterator[AmiTestServer]:
    with running_ami_server(scenario) as server:
        yield server


@pytest.fixture
def settings(pbx: AmiTestServer, scenario: AmiScenario, tmp_path: Path) -> AsteriskSettings:
    secret_file = tmp_path / "ami.secret"
    secret_file.write_text(scenario.secret + "\n")
    return AsteriskSettings(
        port=pbx.port,
        username=scenario.username,
        secret_file=str(secret_file),
        trunks=("itsp",),
        pbx_timezone="UTC",
    )


def test_it_reports_a_healthy_pbx_as_ok(settings: AsteriskSettings, pbx: AmiTestServer) -> None:
    result = collect(settings)
    assert result["status"] == "ok", result["error"]
    assert result["error"] is None
    m = result["metrics"]
    assert (m["reachable"], m["logged_in"], m["auth"], m["ami_version"]) == (
        True,
        True,
        "md5",
        "5.0.4",
    )
    assert m["ping_ms"] >= 0
    assert m["startup_at"] == "2024-05-01T06:30:00+00:00"
    assert m["reload_at"] == "2024-05-02T09:15:00+00:00"
    assert (m["current_calls"], m["max_calls"], m["asterisk_version"]) == (1, 50, "18.20.0")
    assert [(e["name"], e["trunk"], e["device_state"]) for e in m["endpoints"]] == [
        ("itsp", True, "In use"),
        ("201", False, "Not in use"),
        ("202", False, "Not in use"),
    ]
    assert m["endpoints"][0]["active_channels"] == 1
    assert m["registrations"][0]["status"] == "Registered"
    assert [(c["endpoint"], c["rtt_ms"], c["trunk"]) for c in m["contacts"]] == [
        ("itsp", 18.25, True),
        ("201", 0.95, False),
        ("202", None, False),
    ]
    assert m["channels"] == {
        "count": 2,
        "longest_s": 3723,
        "longest_channel": "PJSIP/itsp-00000008",
    }
    assert m["queues"] is None  # app_queue is not loaded on this PBX
    assert m["errors"] == {} and m["problems"] == []
    assert pbx.actions()[-1] == "Logoff"  # one session, closed politely


def test_it_reads_wall_clock_times_in_the_pbx_timezone(settings: AsteriskSettings) -> None:
    london = AsteriskSettings(**{**settings.__dict__, "pbx_timezone": "Europe/London"})
    metrics = collect(london)["metrics"]
    assert metrics["startup_at"] == "2024-05-01T05:30:00+00:00"  # BST is UTC+1 in May


def test_it_reports_bad_credentials_as_critical_with_a_readable_error(
    settings: AsteriskSettings, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.secret"
    wrong.write_text("not-the-secret\n")
    result = collect(AsteriskSettings(**{**settings.__dict__, "secret_file": str(wrong)}))
    assert result["status"] == "critical"
    assert result["metrics"] == {"reachable": True, "logged_in": False}
    assert "AMI login refused for user 'faultdesk': Authentication failed" in result["error"]
    assert "not-the-secret" not in json.dumps(result)


def test_it_reports_a_pbx_that_is_not_running_as_critical(settings: AsteriskSettings) -> None:
    result = collect(AsteriskSettings(**{**settings.__dict__, "port": closed_port()}))
    assert result["status"] == "critical"
    assert result["metrics"] == {"reachable": False, "logged_in": False}
    assert "refused the connection" in result["error"]
    assert "is Asterisk running" in result["error"]


def test_it_reports_an_unreadable_secret_file_as_a_probe_error(
    settings: AsteriskSettings, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nowhere.secret")
    result = collect(AsteriskSettings(**{**settings.__dict__, "secret_file": missing}))
    assert result["status"] == "error"
    assert missing in result["error"] and "No such file" in result["error"]


def test_it_takes_no_endpoints_found_as_an_empty_list(
    settings: AsteriskSettings, scenario: AmiScenario
) -> None:
    scenario.endpoints, scenario.contacts, scenario.registrations = [], [], []
    result = collect(AsteriskSettings(**{**settings.__dict__, "trunks": ()}))
    assert result["status"] == "ok", result["error"]
    assert result["metrics"]["endpoints"] == []
    assert result["metrics"]["contacts"] == []
    assert result["metrics"]["registrations"] == []


def test_it_reports_a_rejected_trunk_registration_as_critical(
    settings: AsteriskSettings, scenario: AmiScenario
) -> None:
    scenario.registrations = [Registration("itsp", status="Rejected", endpoint="itsp")]
    result = collect(settings)
    assert result["status"] == "critical"
    assert result["error"] == "trunk registration itsp is Rejected"


def test_it_reports_an_unavailable_trunk_as_critical(
    settings: AsteriskSettings, scenario: AmiScenario
) -> None:
    scenario.endpoints[0] = Endpoint("itsp", "Unavailable")
    scenario.contacts[0] = Contact("itsp", "sip:sip.provider.example:5060", "Unreachable", None)
    result = collect(settings)
    assert result["status"] == "critical"
    assert "trunk itsp is Unavailable" in result["metrics"]["problems"]


def test_it_reports_an_unreachable_phone_as_a_warning(
    settings: AsteriskSettings, scenario: AmiScenario
) -> None:
    scenario.contacts[1] = Contact("201", "sip:201@192.0.2.31:5060;ob", "Unreachable", None)
    result = collect(settings)
    assert result["status"] == "warning"
    assert result["error"] == "contact sip:201@192.0.2.31:5060;ob of 201 is Unreachable"


def test_it_warns_about_a_configured_trunk_that_does_not_exist(
    settings: AsteriskSettings,
) -> None:
    result = collect(AsteriskSettings(**{**settings.__dict__, "trunks": ("itsp", "backup")}))
    assert result["status"] == "warning"
    assert result["error"] == "configured trunk backup does not exist in Asterisk"


def test_it_carries_on_when_one_action_is_denied(
    settings: AsteriskSettings, scenario: AmiScenario
) -> None:
    scenario.denied = {"CoreShowChannels"}
    result = collect(settings)
    assert result["status"] == "warning"
    assert result["metrics"]["errors"] == {"CoreShowChannels": "Permission denied"}
    assert result["metrics"]["registrations"][0]["status"] == "Registered"


def test_it_summarises_queues_when_app_queue_is_loaded(
    settings: AsteriskSettings, scenario: AmiScenario
) -> None:
    scenario.queues = [Queue("support", logged_in=3, available=1, callers=2, longest_hold_time=41)]
    queue = collect(settings)["metrics"]["queues"][0]
    assert queue == {
        "queue": "support",
        "logged_in": 3,
        "available": 1,
        "callers": 2,
        "hold_time_s": 12,
        "talk_time_s": 95,
        "longest_hold_s": 41,
    }


def test_it_reads_chan_sip_peers_and_registrations_on_older_systems(
    settings: AsteriskSettings, scenario: AmiScenario
) -> None:
    scenario.endpoints, scenario.contacts, scenario.registrations = [], [], []
    scenario.sip_peers = [SipPeer("itsp", "OK (23 ms)"), SipPeer("301", "UNREACHABLE")]
    scenario.sip_registry = [SipRegistry("sip.provider.example", "4412", "Rejected")]
    result = collect(AsteriskSettings(**{**settings.__dict__, "chan_sip": True}))
    m = result["metrics"]
    assert m["sip_peers"][0] == {
        "name": "itsp",
        "status": "OK (23 ms)",
        "ip": "192.0.2.10",
        "rtt_ms": 23,
        "trunk": True,
    }
    assert result["status"] == "critical"
    assert m["problems"] == [
        "chan_sip registration 4412@sip.provider.example is Rejected",
        "SIP peer 301 is UNREACHABLE",
    ]


def test_it_never_puts_the_secret_in_the_entry_or_the_logs(
    settings: AsteriskSettings, scenario: AmiScenario, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scenario.md5_challenge = False  # plaintext login: the secret does cross the wire
    scenario.denied = {"QueueSummary"}
    result = run_probe("asterisk", lambda: collect(settings))
    assert result["metrics"]["auth"] == "plaintext"
    assert scenario.secret not in json.dumps(result)
    assert scenario.secret not in caplog.text


def test_it_refuses_an_unknown_pbx_timezone() -> None:
    with pytest.raises(ValueError, match=r"asterisk\.pbx_timezone"):
        AsteriskSettings(pbx_timezone="Mars/Olympus_Mons")


def _metrics(startup: str, reload: str) -> dict[str, str]:
    return {"startup_at": startup, "reload_at": reload}


def test_it_reports_a_restart_when_the_startup_time_changes(
    settings: AsteriskSettings, scenario: AmiScenario
) -> None:
    before = collect(settings)["metrics"]
    scenario.startup = scenario.reload = datetime(2024, 5, 3, 2, 0, 0)
    after = collect(settings)["metrics"]
    assert detect_events(before, after) == [
        {
            "kind": "asterisk_restart",
            "at": "2024-05-03T02:00:00+00:00",
            "detail": "Asterisk restarted at 2024-05-03T02:00:00+00:00 "
            "(it had been up since 2024-05-01T06:30:00+00:00)",
        }
    ]


def test_it_reports_a_reload_when_only_the_reload_time_changes() -> None:
    before = _metrics("2024-05-01T06:30:00+00:00", "2024-05-02T09:15:00+00:00")
    after = _metrics("2024-05-01T06:30:00+00:00", "2024-05-03T11:00:00+00:00")
    events = detect_events(before, after)
    assert [(e["kind"], e["at"]) for e in events] == [
        ("asterisk_reload", "2024-05-03T11:00:00+00:00")
    ]


def test_it_reports_nothing_without_a_change_or_a_baseline() -> None:
    same = _metrics("2024-05-01T06:30:00+00:00", "2024-05-02T09:15:00+00:00")
    assert detect_events(same, dict(same)) == []
    assert detect_events(None, same) == []
    assert detect_events({"reachable": False}, same) == []
