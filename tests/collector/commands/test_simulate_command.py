"""``faultdesk-collector simulate SCENARIO.yaml --json``: a timeline through the real pipeline
on a simulated clock, and scenarios refused before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Cli, Outcome

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


def _simulate(cli: Cli, tmp_path: Path, text: str, *flags: str) -> Outcome:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return cli.without_config()("simulate", str(path), *flags)


def test_it_plays_a_scenario_through_the_pipeline(cli: Cli, tmp_path: Path) -> None:
    code, out, err = _simulate(cli, tmp_path, SCENARIO, "--json")
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
    code, out, err = _simulate(cli, tmp_path, SCENARIO.replace(*change, 1))
    assert (code, out) == (2, "")
    assert str(tmp_path / "scenario.yaml") in err and named in err
