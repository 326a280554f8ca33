"""Rules: agent reports and probe results become observations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.probes.base import entry
from agent.protocol import build_report
from collector.domain.policy import Levels, Status, Thresholds
from collector.domain.rules import (
    heartbeat_observation,
    observations_from_probe,
    observations_from_report,
)
from collector.domain.watches import Observation, WatchState

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def report(**probes: Any) -> dict[str, Any]:
    return build_report(
        host_id="pbx1", seq=1, sampled_at=T0, interval_s=60, agent_version="1", probes=probes
    )


def by_key(observations: list[Observation]) -> dict[str, Observation]:
    return {obs.check_key: obs for obs in observations}


def statuses(observations: list[Observation]) -> dict[str, Status]:
    return {obs.check_key: obs.status for obs in observations}


def filesystems(**used: float) -> dict[str, Any]:
    return entry(
        "ok",
        {
            "filesystems": {
                mount.replace("_", "/"): {
                    "used_percent": pct,
                    "inodes_used_percent": 10.0,
                    "inodes_total": 1000,
                }
                for mount, pct in used.items()
            }
        },
    )


def test_it_classifies_disk_usage_against_warning_and_critical() -> None:
    found = observations_from_report(
        report(system=filesystems(_=50, _var=90, _srv=97)), Thresholds()
    )
    assert statuses(found) == {
        "probe:system": Status.OK,
        "disk:/": Status.OK,
        "disk:/var": Status.WARNING,
        "disk:/srv": Status.CRITICAL,
        "inodes:/": Status.OK,
        "inodes:/var": Status.OK,
        "inodes:/srv": Status.OK,
    }
    assert by_key(found)["disk:/var"].value == 90
    assert by_key(found)["disk:/var"].at == T0


def test_it_holds_a_disk_level_until_it_falls_past_the_hysteresis() -> None:
    previous = {"disk:/var": WatchState("disk:/var", status=Status.WARNING)}
    held = observations_from_report(report(system=filesystems(_var=81)), Thresholds(), previous)
    assert by_key(held)["disk:/var"].status is Status.WARNING
    cleared = observations_from_report(report(system=filesystems(_var=79)), Thresholds(), previous)
    assert by_key(cleared)["disk:/var"].status is Status.OK
    fresh = observations_from_report(report(system=filesystems(_var=81)), Thresholds())
    assert by_key(fresh)["disk:/var"].status is Status.OK


def test_it_applies_hysteresis_to_the_critical_level_too() -> None:
    levels = Levels(85, 95, 5)
    assert levels.classify(92, Status.CRITICAL) is Status.CRITICAL
    assert levels.classify(89, Status.CRITICAL) is Status.WARNING
    assert levels.classify(92, Status.WARNING) is Status.WARNING


def test_it_accepts_filesystems_as_a_list_and_skips_filesystems_without_inodes() -> None:
    system = entry(
        "ok",
        {"filesystems": [{"mountpoint": "/boot", "percent": 96, "inodes_total": 0,
                          "inodes_used_percent": 0.0}]},
    )  # fmt: skip
    found = statuses(observations_from_report(report(system=system), Thresholds()))
    assert found == {"probe:system": Status.OK, "disk:/boot": Status.CRITICAL}


def test_it_reports_a_failed_probe_as_unknown_and_nothing_else() -> None:
    found = observations_from_report(report(system=entry("error", {}, "boom")), Thresholds())
    assert found == [Observation("probe:system", T0, Status.UNKNOWN, None, "boom")]


def test_it_tolerates_missing_and_malformed_keys() -> None:
    probes = {
        "system": {"status": "ok"},
        "services": entry("ok", {"processes": None, "units": {"x": "weird"}, "ports": []}),
        "asterisk": entry("ok", {}),
        "sip": entry("ok", {"state": "sideways"}),
        "later": entry("ok", {"anything": 1}),
        "broken": "not a probe",
    }
    found = observations_from_report(report(**probes), Thresholds())
    assert {obs.check_key for obs in found} == {
        "probe:system", "probe:services", "probe:asterisk", "probe:sip", "probe:later"
    }  # fmt: skip


def test_it_turns_services_units_and_ports_into_checks() -> None:
    services = entry(
        "critical",
        {
            "processes": {"asterisk": {"running": False, "count": 0}, "sshd": {"running": True}},
            "units": {
                "asterisk.service": {"active": False, "active_state": "failed", "restarts": 0},
                "cron.service": {"active": True, "active_state": "active", "restarts": 2},
                "gone.service": {"active": None},
            },
            "ports": {"tcp/5060": {"listening": False}, "tcp/22": {"listening": True}},
        },
    )
    found = observations_from_report(report(services=services), Thresholds())
    assert statuses(found) == {
        "probe:services": Status.OK,
        "service:asterisk": Status.CRITICAL,
        "service:sshd": Status.OK,
        "unit:asterisk.service": Status.CRITICAL,
        "unit:cron.service": Status.WARNING,
        "port:tcp/5060": Status.CRITICAL,
        "port:tcp/22": Status.OK,
    }
    assert "failed" in by_key(found)["unit:asterisk.service"].detail


def test_it_calls_an_unreachable_ami_a_pbx_down() -> None:
    down = entry("critical", {"reachable": False, "logged_in": False}, "connection refused")
    found = statuses(observations_from_report(report(asterisk=down), Thresholds()))
    assert found == {"probe:asterisk": Status.OK, "asterisk.ami": Status.CRITICAL}
    refused = entry("critical", {"reachable": True, "logged_in": False}, "auth")
    found = statuses(observations_from_report(report(asterisk=refused), Thresholds()))
    assert found["asterisk.ami"] is Status.WARNING


def test_it_watches_trunk_registrations_trunks_and_endpoints() -> None:
    metrics = {
        "reachable": True,
        "logged_in": True,
        "registrations": [
            {"name": "provider1", "status": "Registered"},
            {"name": "provider2", "status": "Rejected"},
        ],
        "endpoints": [
            {"name": "provider1", "device_state": "Not in use", "trunk": True},
            {"name": "provider2", "device_state": "Unavailable", "trunk": True},
            {"name": "101", "device_state": "Unavailable", "trunk": False},
            {"name": "102", "device_state": "Not in use", "trunk": False},
        ],
        "contacts": [{"endpoint": "102", "status": "Unreachable", "trunk": False}],
        "sip_registry": [{"host": "sip.example", "username": "acme", "state": "Registered"}],
        "sip_peers": [{"name": "old", "status": "UNREACHABLE", "trunk": True}],
    }
    found = observations_from_report(report(asterisk=entry("critical", metrics)), Thresholds())
    assert statuses(found) == {
        "probe:asterisk": Status.OK,
        "asterisk.ami": Status.OK,
        "asterisk.registration:provider1": Status.OK,
        "asterisk.registration:provider2": Status.CRITICAL,
        "asterisk.registration:acme@sip.example": Status.OK,
        "asterisk.trunk:provider1": Status.OK,
        "asterisk.trunk:provider2": Status.CRITICAL,
        "asterisk.endpoint:101": Status.WARNING,
        "asterisk.endpoint:102": Status.WARNING,
        "asterisk.trunk:old": Status.CRITICAL,
    }


def test_it_maps_the_sip_ping_state() -> None:
    for state, status in [
        ("up", Status.OK),
        ("degraded", Status.WARNING),
        ("down", Status.CRITICAL),
    ]:
        sip = entry("ok", {"state": state, "code": 200, "reason": "OK", "rtt_ms": 3.5})
        assert (
            by_key(observations_from_report(report(sip=sip), Thresholds()))["sip"].status is status
        )


def test_it_raises_the_heartbeat_after_three_silent_intervals() -> None:
    last = T0 - timedelta(seconds=179)
    assert heartbeat_observation(last, 60, T0).status is Status.OK
    silent = heartbeat_observation(T0 - timedelta(seconds=180), 60, T0)
    assert silent.status is Status.CRITICAL and silent.check_key == "agent.heartbeat"
    assert silent.value == 180 and silent.at == T0
    assert heartbeat_observation(T0 - timedelta(seconds=300), 60, T0, 5).status is Status.CRITICAL


def test_it_turns_probe_verdicts_into_remote_access_checks() -> None:
    ssh = observations_from_probe("ssh", "critical", "connection refused", {}, T0)
    assert ssh == [Observation("remote.ssh", T0, Status.CRITICAL, None, "connection refused")]
    tcp = observations_from_probe("tcp", "ok", "port 5060 open", {}, T0, name="5060")
    assert statuses(tcp) == {"remote.tcp:5060": Status.OK}


def test_it_raises_a_changed_ssh_host_key_as_its_own_check() -> None:
    data = {"host_key_changed": True, "host_key": "ssh-ed25519 AAAA"}
    found = statuses(observations_from_probe("ssh", "critical", "host key changed", data, T0))
    assert found == {"ssh.hostkey": Status.CRITICAL, "remote.ssh": Status.OK}
    pinned = {"host_key_changed": False, "login": "root"}
    found = statuses(observations_from_probe("ssh", "ok", "login ok", pinned, T0))
    assert found == {"ssh.hostkey": Status.OK, "remote.ssh": Status.OK}


def test_it_splits_an_expiring_certificate_from_http_access() -> None:
    data = {"status": 200, "cert_days_left": 5.2}
    detail = "certificate expires in 5 days; 200 OK"
    found = observations_from_probe("http", "warning", detail, data, T0)
    assert statuses(found) == {"cert.http": Status.WARNING, "remote.http": Status.OK}
    assert by_key(found)["cert.http"].value == 5.2
    broken = "500 Internal Server Error; certificate expires in 5 days"
    found = observations_from_probe("http", "critical", broken, data, T0)
    assert statuses(found) == {"cert.http": Status.WARNING, "remote.http": Status.CRITICAL}
    valid = observations_from_probe("http", "ok", "200 OK", {"cert_days_left": 80}, T0)
    assert statuses(valid) == {"cert.http": Status.OK, "remote.http": Status.OK}
    soon = observations_from_probe("http", "critical", "x", {"cert_days_left": 1}, T0)
    assert by_key(soon)["cert.http"].status is Status.CRITICAL
