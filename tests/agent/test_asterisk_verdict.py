"""The asterisk probe's status and problems from one sample's metrics."""

from __future__ import annotations

from typing import Any

from agent.probes.asterisk import AsteriskSettings, evaluate

SETTINGS = AsteriskSettings(trunks=("itsp",))


def _metrics(**overrides: Any) -> dict[str, Any]:
    healthy: dict[str, Any] = {
        "endpoints": [
            {"name": "itsp", "device_state": "Not in use", "trunk": True},
            {"name": "201", "device_state": "Not in use", "trunk": False},
        ],
        "registrations": [{"name": "itsp", "status": "Registered"}],
        "contacts": [],
        "errors": {},
    }
    return {**healthy, **overrides}


def _contact(endpoint: str, trunk: bool) -> dict[str, Any]:
    uri = f"sip:{endpoint}@192.0.2.1"
    return {"uri": uri, "endpoint": endpoint, "status": "Unreachable", "trunk": trunk}


def test_it_is_ok_with_registered_trunks_and_nothing_failing() -> None:
    assert evaluate(_metrics(), SETTINGS) == ("ok", [])


def test_it_lists_critical_problems_before_warnings() -> None:
    metrics = _metrics(
        contacts=[_contact("201", trunk=False), _contact("itsp", trunk=True)],
        errors={"QueueSummary": "Permission denied"},
    )
    status, problems = evaluate(metrics, SETTINGS)
    assert status == "critical"
    assert problems == [
        "contact sip:itsp@192.0.2.1 of itsp is Unreachable",
        "contact sip:201@192.0.2.1 of 201 is Unreachable",
        "QueueSummary failed: Permission denied",
    ]


def test_it_takes_an_unregistered_chan_sip_registration_as_critical() -> None:
    registry = [{"host": "sip.example", "username": "acme", "state": "Rejected"}]
    status, problems = evaluate(_metrics(sip_registry=registry), SETTINGS)
    assert (status, problems) == (
        "critical",
        ["chan_sip registration acme@sip.example is Rejected"],
    )


def test_it_takes_an_unreachable_sip_peer_as_critical_only_for_a_trunk() -> None:
    peers = [
        {"name": "itsp", "status": "UNREACHABLE", "trunk": True},
        {"name": "201", "status": "UNREACHABLE", "trunk": False},
    ]
    status, problems = evaluate(_metrics(endpoints=None, sip_peers=peers), SETTINGS)
    assert status == "critical"
    assert problems == ["SIP peer itsp is UNREACHABLE", "SIP peer 201 is UNREACHABLE"]


def test_it_says_nothing_about_missing_trunks_when_nothing_was_listed() -> None:
    assert evaluate(_metrics(endpoints=None), SETTINGS) == ("ok", [])
    status, problems = evaluate(_metrics(endpoints=[]), SETTINGS)
    assert (status, problems) == ("warning", ["configured trunk itsp does not exist in Asterisk"])
