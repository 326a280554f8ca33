"""``faultdesk-collector simulate SCENARIO.yaml --json``: a timeline through the real pipeline
on a simulated clock, and scenarios refused before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.collector.commands.scenarios import STEPS, simulate
from tests.support.cli import Cli

SCENARIO = """\
start: 2026-11-09T09:30:00Z
end: 2026-11-09T15:00:00Z
customers:
  - {id: acme, tier: cat1, timezone: Europe/London, region: other}
hosts:
  - id: acme-pbx
    customer: acme
    kind: pbx
    checks: [{name: ssh, kind: ssh}, {name: web, kind: http}, {name: sip, kind: sip}]
events:
  - {at: 2026-11-09T10:00:00Z, host: acme-pbx, probe: "disk:/", status: warning}
  - {at: 2026-11-09T11:00:00Z, host: acme-pbx, check: ssh, status: critical}
  - {at: 2026-11-09T11:40:00Z, host: acme-pbx, check: ssh, status: ok}
  - {at: 2026-11-09T12:00:00Z, host: acme-pbx, check: sip, status: critical}
  - {at: 2026-11-09T13:00:00Z, host: acme-pbx, probe: "disk:/", status: critical}
  - {at: 2026-11-09T14:00:00Z, host: acme-pbx, step: respond, by: sam}
"""


def test_it_plays_a_scenario_through_the_pipeline(cli: Cli, tmp_path: Path) -> None:
    code, out, err = simulate(cli, tmp_path, SCENARIO, "--json")
    assert code == 0, err
    outcome: dict[str, Any] = json.loads(out)
    disk, ssh, sip = outcome["incidents"]
    assert (disk["faults"], disk["severity"], disk["opened_at"]) == (
        ["disk:/"],
        "major",
        "2026-11-09T10:00:00Z",
    )
    # SSH lost for 40 minutes while the agent reported pauses the disk incident (from its
    # second failed run, when the engine raises the fault); SIP does not.
    assert disk["paused"] == [
        {
            "from": "2026-11-09T11:01:00Z",
            "to": "2026-11-09T11:41:00Z",
            "reason": "SSH was unreachable",
        }
    ]
    assert disk["targets"]["first_response"] == {
        "due": "2026-11-10T10:40:00Z",
        "met_at": None,
        "breached": False,
    }
    kinds = [e["kind"] for e in disk["timeline"]]
    assert kinds == ["opened", "severity_raised"]
    assert ssh["faults"] == ["remote.ssh"] and ssh["paused"] == []
    assert sip["faults"] == ["remote.sip"]  # the host's latest open incident takes the step
    assert sip["targets"]["first_response"]["met_at"] == "2026-11-09T14:00:00Z"
    subjects = [m["subject"] for m in outcome["mails"]]
    assert any(s.startswith("SEVERITY RAISED minor → major") for s in subjects)
    assert all(m["at"].endswith("Z") for m in outcome["mails"])


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("host: acme-pbx, step", "host: nowhere, step"), "events.5.host: unknown host 'nowhere'"),
        (("tier: cat1", "tier: gold"), "customers.0.tier: unknown tier 'gold'"),
        (("T13:00:00Z", "T09:00:00Z"), "events.4.at: outside start..end"),
        (("check: sip", "check: pop3"), "events.3.check: host 'acme-pbx' has no check 'pop3'"),
        (("status: warning", "status: dire"), "events.0.status"),
    ],
)
def test_it_refuses_a_bad_scenario_naming_the_event_and_field(
    cli: Cli, tmp_path: Path, change: tuple[str, str], named: str
) -> None:
    code, out, err = simulate(cli, tmp_path, SCENARIO.replace(*change, 1))
    assert (code, out) == (2, "")
    assert str(tmp_path / "scenario.yaml") in err and named in err


def _host(name: str) -> str:
    return f"  - {{id: {name}, customer: acme, kind: pbx}}\n"


def test_every_agent_reported_check_key_opens_its_fault(cli: Cli, tmp_path: Path) -> None:
    # One host per key, so no fault explains another (Asterisk stopped explains its ports).
    keys = {
        "disk:/": "critical", "inodes:/var": "warning", "service:asterisk": "critical",
        "unit:nginx.service": "critical", "port:5038": "critical", "probe:asterisk": "critical",
        "asterisk.ami": "warning", "asterisk.registration:sipgate": "critical",
        "asterisk.trunk:sipgate": "critical", "asterisk.endpoint:201": "warning",
        "sip": "critical",
    }  # fmt: skip
    hosts = "".join(_host(f"h{i}") for i in range(len(keys)))
    events = "".join(
        f'  - {{at: 2026-11-09T10:00:00Z, host: h{i}, probe: "{key}", status: {status}}}\n'
        for i, (key, status) in enumerate(keys.items())
    )
    text = (
        "start: 2026-11-09T09:50:00Z\nend: 2026-11-09T10:30:00Z\n"
        "customers:\n  - {id: acme, tier: cat1}\nhosts:\n" + hosts + "events:\n" + events
    )
    code, out, err = simulate(cli, tmp_path, text, "--json")
    assert code == 0, err
    opened = {i["host"]: i["faults"] for i in json.loads(out)["incidents"]}
    assert opened == {f"h{i}": [key] for i, key in enumerate(keys)}


def test_incident_steps_meet_their_targets_and_refusals_are_reported(
    cli: Cli, tmp_path: Path
) -> None:
    code, out, err = simulate(cli, tmp_path, STEPS, "--json")
    assert code == 0, err
    (incident,) = json.loads(out)["incidents"]
    # Premier Plus promises on-site and parts, each met by its step (no response target).
    met = {name: t["met_at"] for name, t in incident["targets"].items()}
    assert met == {
        "on_site": "2026-11-11T11:00:00Z",
        "parts_dispatch": "2026-11-10T11:00:00Z",
        "parts_delivery": "2026-11-11T10:00:00Z",
        "part_return": "2026-11-11T13:00:00Z",
    }
    kinds = [e["kind"] for e in incident["timeline"]]
    for kind in ("responded", "failure_confirmed", "onsite_requested", "parts_dispatched",
                 "waiting_on_customer", "resumed", "parts_delivered", "on_site", "resolved",
                 "part_returned", "closed"):  # fmt: skip
        assert kind in kinds
    # Resolving while the disk is still full is refused without force, and said so.
    assert "events.9 at 2026-11-11T12:00:00Z: step 'resolve'" in err
    assert "refused" in err and "events.12" not in err


def test_an_announced_day_moves_open_targets_and_the_example_rota_pages(
    cli: Cli, tmp_path: Path
) -> None:
    text = """\
start: 2026-11-13T22:00:00Z
end: 2026-11-14T02:00:00Z
customers:
  - {id: acme, tier: premium, timezone: America/New_York, region: north_america}
  - {id: bath, tier: cat1, timezone: Europe/London, region: other}
hosts:
  - {id: pbx, customer: acme, kind: pbx, checks: [{name: ssh, kind: ssh}]}
  - {id: srv, customer: bath}
events:
  - {at: 2026-11-13T22:10:00Z, host: pbx, agent: silent}
  - {at: 2026-11-13T22:10:00Z, host: pbx, check: ssh, status: critical}
  - {at: 2026-11-13T22:10:00Z, host: srv, probe: "disk:/", status: critical}
  - {at: 2026-11-13T23:00:00Z, announce: {calendar: uk-office, date: 2026-11-16, reason: flood}}
"""
    code, out, err = simulate(cli, tmp_path, text, "--json")
    assert code == 0, err
    outcome = json.loads(out)
    pbx, srv = sorted(outcome["incidents"], key=lambda i: str(i["host"]))
    # Premium, host down (critical) at 17:11 ET on a Friday, unanswered: the example rota's
    # engineer on call is paged when the staffed line closes at 19:00 ET, then re-paged.
    assert (pbx["severity"], pbx["faults"]) == ("critical", ["host.down"])
    assert pbx["pages"][:2] == [
        {"at": "2026-11-14T00:00:00Z", "to": "carol"},
        {"at": "2026-11-14T00:15:00Z", "to": "carol"},
    ]
    # Cat1, working hours: Monday 16th closed, so the response is due on Tuesday.
    assert srv["targets"]["first_response"]["due"].startswith("2026-11-17")
    changed = [e for e in srv["timeline"] if e["kind"] == "calendar_changed"]
    assert [e["at"] for e in changed] == ["2026-11-13T23:00:00Z"] and "flood" in changed[0][
        "detail"
    ]


def test_the_json_has_the_documented_shape(cli: Cli, tmp_path: Path) -> None:
    code, out, err = simulate(cli, tmp_path, SCENARIO, "--json")
    assert code == 0, err
    outcome = json.loads(out)
    assert set(outcome) == {"incidents", "mails"}
    for incident in outcome["incidents"]:
        assert set(incident) == {
            "id", "host", "customer", "tier", "severity", "opened_at", "faults", "targets",
            "paused", "pages", "timeline",
        }  # fmt: skip
        for target in incident["targets"].values():
            assert set(target) == {"due", "met_at", "breached"}
    for mail in outcome["mails"]:
        assert set(mail) == {"at", "kind", "to", "subject"} and mail["at"].endswith("Z")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (('probe: "disk:/", status: warning', 'probe: "memory", status: warning'),
         "events.0.probe: 'memory' is not an agent-reported check key"),
        (('probe: "disk:/", status: warning', 'probe: "service:x", status: warning'),
         "events.0.probe: 'service:x' is ok or critical, never warning"),
        (("step: respond", "step: dance"), "events.5.step: unknown action 'dance'"),
    ],
)  # fmt: skip
def test_it_refuses_keys_statuses_and_actions_it_cannot_play(
    cli: Cli, tmp_path: Path, change: tuple[str, str], named: str
) -> None:
    code, out, err = simulate(cli, tmp_path, SCENARIO.replace(*change, 1))
    assert (code, out) == (2, "")
    assert str(tmp_path / "scenario.yaml") in err and named in err


def test_it_refuses_an_unknown_calendar(cli: Cli, tmp_path: Path) -> None:
    text = SCENARIO + (
        "  - {at: 2026-11-09T14:30:00Z, announce: {calendar: mars, date: 2026-12-29, reason: x}}\n"
    )
    code, out, err = simulate(cli, tmp_path, text)
    assert (code, out) == (2, "")
    assert "events.6.announce.calendar: unknown calendar 'mars'" in err


def test_the_readme_scenario_runs_as_documented(cli: Cli, tmp_path: Path) -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    section = readme.split("### What-if: `simulate`", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    code, out, err = simulate(cli, tmp_path, example, "--json")
    assert code == 0, err
    faults = [i["faults"] for i in json.loads(out)["incidents"]]
    assert ["disk:/"] in faults and ["service:asterisk"] in faults


def test_access_on_request_pauses_until_granted(cli: Cli, tmp_path: Path) -> None:
    text = """\
start: 2026-11-09T09:00:00Z
end: 2026-11-09T13:00:00Z
customers:
  - {id: acme, tier: cat1, timezone: Europe/London, region: other, access: on_request}
hosts:
  - {id: srv, customer: acme}
events:
  - {at: 2026-11-09T09:30:00Z, host: srv, probe: "disk:/", status: critical}
  - {at: 2026-11-09T10:30:00Z, host: srv, step: access-granted, by: jo}
  - {at: 2026-11-09T11:00:00Z, host: srv, step: access-granted, by: jo}
"""
    code, out, err = simulate(cli, tmp_path, text, "--json")
    assert code == 0, err
    (incident,) = json.loads(out)["incidents"]
    assert incident["paused"] == [
        {
            "from": "2026-11-09T09:30:00Z",
            "to": "2026-11-09T10:30:00Z",
            "reason": "access on request not yet given",
        }
    ]
    # The hour the customer took to give access moves the target by an hour (09:30 → 10:30).
    assert incident["targets"]["first_response"]["due"] == "2026-11-10T10:30:00Z"
    assert "events.2 at 2026-11-09T11:00:00Z: step 'access-granted'" in err
