"""The simulated clock jumps from one moment that matters to the next: what it decides must be
what a collector sweeping every minute decides, and a change settles after as many readings as
its own policy needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from collector.commands import simulation
from collector.commands.simulated_clock import Deadlines
from collector.jobs.paging import sweep_paging
from collector.store.schema import incidents
from tests.collector.commands.scenarios import PAGING, STEPS, simulate
from tests.support.cli import Cli

SETTLING = """\
start: 2026-11-09T09:00:00Z
end: 2026-11-09T13:00:00Z
customers:
  - {id: acme, tier: premium}
hosts:
  - {id: srv, customer: acme}
events:
  - {at: 2026-11-09T09:10:00Z, host: srv, probe: "disk:/", status: warning}
  - {at: 2026-11-09T09:20:00Z, host: srv, probe: "disk:/", status: critical}
  - {at: 2026-11-09T09:30:00Z, host: srv, probe: "service:asterisk", status: critical}
  - {at: 2026-11-09T09:31:00Z, host: srv, probe: "service:asterisk", status: ok}
  - {at: 2026-11-09T09:40:00Z, host: srv, probe: "unit:nginx.service", status: warning}
  - {at: 2026-11-09T09:45:00Z, host: srv, probe: "port:5038", status: critical}
  - {at: 2026-11-09T09:46:00Z, host: srv, probe: "inodes:/var", status: critical}
  - {at: 2026-11-09T10:00:00Z, host: srv, probe: "disk:/", status: ok}
  - {at: 2026-11-09T10:05:00Z, host: srv, probe: "port:5038", status: ok}
  - {at: 2026-11-09T10:06:00Z, host: srv, probe: "port:5038", status: critical}
  - {at: 2026-11-09T10:07:00Z, host: srv, probe: "port:5038", status: ok}
  - {at: 2026-11-09T10:30:00Z, host: srv, probe: "unit:nginx.service", status: ok}
  - {at: 2026-11-09T10:31:00Z, host: srv, probe: "inodes:/var", status: ok}
"""


def test_settling_each_key_by_its_own_policy_changes_no_outcome(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A check at rest under its own policy (a full disk raises on one reading) is left alone
    # as soon as it is; the outcome must be what reporting until the slowest policy settles
    # would have given, raises, recoveries, flapping and mail alike.
    code, quick, err = simulate(cli, tmp_path, SETTLING, "--json")
    assert code == 0, err
    monkeypatch.setattr(simulation, "settle_after", lambda *_: simulation.settle_count())
    code, slow, err = simulate(cli, tmp_path, SETTLING, "--json")
    assert code == 0, err
    assert json.loads(quick) == json.loads(slow)
    assert len(json.loads(quick)["incidents"]) >= 4


def test_a_key_settles_after_as_many_readings_as_its_policy_needs() -> None:
    assert simulation.settle_after("disk:/", "critical") == 1  # a level: one reading
    assert simulation.settle_after("service:asterisk", "critical") == 1  # a local fact
    assert simulation.settle_after("service:asterisk", "ok") == 2  # recovery needs two
    assert simulation.settle_after("unit:nginx.service", "warning") == 2  # a restart: two
    assert simulation.settle_after("asterisk.ami", "critical") == simulation.settle_count()


ACCESS_LOST = """\
start: 2026-11-09T08:00:00Z
end: 2026-11-10T10:00:00Z
customers:
  - {id: acme, tier: cat1, timezone: Europe/London, region: other}
hosts:
  - {id: srv, customer: acme, checks: [{name: ssh, kind: ssh}]}
events:
  - {at: 2026-11-09T09:00:00Z, host: srv, probe: "disk:/", status: critical}
  - {at: 2026-11-09T10:00:00Z, host: srv, check: ssh, status: critical}
  - {at: 2026-11-09T10:30:00Z, host: srv, agent: silent}
"""


def test_every_access_check_lost_while_the_agent_reports_pauses_until_it_falls_silent(
    cli: Cli, tmp_path: Path
) -> None:
    # Its one access check failing makes the host "unreachable from the vendor" (host.down),
    # with the agent still reporting: access withheld, so the disk incident pauses; from the
    # last report before the agent fell silent (10:29) the host is down, which pauses nothing.
    code, out, err = simulate(cli, tmp_path, ACCESS_LOST, "--json")
    assert code == 0, err
    disk = json.loads(out)["incidents"][0]
    assert disk["faults"] == ["disk:/"]
    assert disk["paused"] == [
        {
            "from": "2026-11-09T10:01:00Z",
            "to": "2026-11-09T10:29:00Z",
            "reason": "SSH was unreachable",
        }
    ]
    # 75% of its 8 h 28 min: the NOC is warned at 15:28, not at the 15:00 of the unpaused clock,
    # nor at 15:31 as the pause counted on to when the heartbeat fault opened would say.
    warnings = [m["at"] for m in json.loads(out)["mails"] if m["kind"] == "sla_warning"]
    assert warnings[0] == "2026-11-09T15:28:00Z"


ANNOUNCED = """\
start: 2026-11-13T16:00:00Z
end: 2026-11-14T02:00:00Z
customers:
  - {id: bath, tier: cat1, timezone: Europe/London, region: other}
hosts:
  - {id: srv, customer: bath}
  - {id: pbx, customer: bath}
events:
  - {at: 2026-11-13T16:30:00Z, host: srv, probe: "disk:/", status: critical}
  - {at: 2026-11-13T16:40:00Z, host: srv, step: wait, by: sam}
  - {at: 2026-11-13T16:50:00Z, host: srv, step: resume, by: sam}
  - {at: 2026-11-13T18:00:00Z, announce: {calendar: uk-office, date: 2026-11-16, reason: flood}}
  - {at: 2026-11-13T20:00:00Z, host: pbx, probe: "disk:/", status: critical}
"""


@pytest.mark.parametrize("scenario", [ANNOUNCED, STEPS], ids=["announced", "steps"])
def test_the_deadlines_kept_are_those_of_every_incident_read_afresh(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    # Kept between stops: each incident's deadlines, as read with the timeline entries that
    # changed it, which incidents ever waited on the customer (their waits count), and the
    # announcements in force. One made must reach the targets of the incidents it moved and
    # of those opened after it (Monday closed: due on Tuesday).
    looked = []
    ahead = Deadlines.ahead

    def compared(self: Deadlines, conn: Any, now: Any) -> Any:
        found = ahead(self, conn, now)
        every = dict.fromkeys(conn.scalars(select(incidents.c.id)))  # read one by one
        fresh = Deadlines(self.config).sla(conn, now, every)
        looked.append((sorted(self.sla_ahead), sorted(fresh)))
        return found

    monkeypatch.setattr(Deadlines, "ahead", compared)
    code, out, err = simulate(cli, tmp_path, scenario, "--json")
    assert code == 0, err
    assert looked and all(kept == fresh for kept, fresh in looked)
    assert any(kept for kept, _ in looked)
    if scenario == ANNOUNCED:
        dues = [i["targets"]["first_response"]["due"] for i in json.loads(out)["incidents"]]
        assert [due[:10] for due in dues] == ["2026-11-17", "2026-11-17"]


def _ticking(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock stopped every minute with the SLA and paging sweeps run each time, as the
    running collector sweeps: the reference the jumping clock must agree with."""
    jumping = simulation._sweeps

    def every_minute(
        conn: Any, sim: simulation.Simulation, deadlines: Any, now: Any, *rest: Any
    ) -> None:
        sim.sla.add(now)
        jumping(conn, sim, deadlines, now, *rest)
        sweep_paging(conn, sim.config, now)  # a second sweep at one moment pages nobody
        sim.at(sim.on_grid(now + simulation.TICK))

    monkeypatch.setattr(simulation, "_sweeps", every_minute)


@pytest.mark.parametrize(
    "scenario",
    [ACCESS_LOST, SETTLING, STEPS, PAGING, ANNOUNCED],
    ids=["access", "settling", "steps", "paging", "announced"],
)
def test_the_jumping_clock_decides_what_a_sweep_every_minute_would(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    # Deadlines kept from an earlier look must never make the clock skip a warning: here a
    # pause ends when the agent's silence is dated back, moving the warning earlier unannounced;
    # an announced closed day moves targets, of incidents open then and opened after.
    code, jumped, err = simulate(cli, tmp_path, scenario, "--json")
    assert code == 0, err
    _ticking(monkeypatch)
    code, ticked, err = simulate(cli, tmp_path, scenario, "--json")
    assert code == 0, err
    assert json.loads(jumped) == json.loads(ticked)
    assert json.loads(jumped)["incidents"]
    assert scenario != PAGING or all(i["pages"] for i in json.loads(jumped)["incidents"])


def test_the_reminders_given_are_every_one_a_full_read_finds(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the faults mailed since the last look are read for reminders, and each deadline is
    # given once: all given so far must hold every one still ahead of all the mailed faults.
    given: set[Any] = set()
    missing = []
    ahead = Deadlines.ahead

    def compared(self: Deadlines, conn: Any, now: Any) -> Any:
        found = ahead(self, conn, now)
        given.update(found[1])
        every = Deadlines(self.config).reminders(conn)
        missing.extend(at for at in every if at > now and at not in given)
        return found

    monkeypatch.setattr(Deadlines, "ahead", compared)
    code, out, err = simulate(cli, tmp_path, ACCESS_LOST, "--json")
    assert code == 0, err
    assert given and not missing
    assert any(m["kind"] == "fault_reminder" for m in json.loads(out)["mails"])
