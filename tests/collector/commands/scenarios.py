"""Scenarios the simulate command's tests share, and how they run one."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Cli, Outcome

#: Premium pages critical incidents only outside its staffed line (07:00-19:00 New York, Mon-Fri:
#: till 00:00 UTC in November). Acme's PBX goes down at 18:45 ET on a Friday, just before the
#: line closes (paged at the close); Bolt's at 20:20:30 ET, out of hours (paged at once), off the
#: minute (its checks settle at the next minute's sweep). Nobody answers for a while: both are
#: re-paged and escalated round the example rota. Acme's second PBX going down makes it a site
#: outage, which holds the first's pages; then someone responds.
PAGING = """\
start: 2026-11-13T22:00:00Z
end: 2026-11-14T04:00:00Z
customers:
  - {id: acme, tier: premium, timezone: America/New_York, region: north_america}
  - {id: bolt, tier: premium, timezone: America/New_York, region: north_america}
hosts:
  - {id: pbx, customer: acme, kind: pbx, checks: [{name: ssh, kind: ssh}]}
  - {id: pbx2, customer: acme, kind: pbx, checks: [{name: ssh, kind: ssh}]}
  - {id: pbx3, customer: bolt, kind: pbx, checks: [{name: ssh, kind: ssh}]}
events:
  - {at: 2026-11-13T23:45:00Z, host: pbx, agent: silent}
  - {at: 2026-11-13T23:45:00Z, host: pbx, check: ssh, status: critical}
  - {at: 2026-11-14T01:20:30Z, host: pbx3, agent: silent}
  - {at: 2026-11-14T01:20:30Z, host: pbx3, check: ssh, status: critical}
  - {at: 2026-11-14T02:00:00Z, host: pbx2, agent: silent}
  - {at: 2026-11-14T02:00:00Z, host: pbx2, check: ssh, status: critical}
  - {at: 2026-11-14T02:40:00Z, host: pbx, step: respond, by: sam}
  - {at: 2026-11-14T03:10:00Z, host: pbx3, step: respond, by: sam}
"""


def simulate(cli: Cli, tmp_path: Path, text: str, *flags: str) -> Outcome:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return cli.without_config()("simulate", str(path), *flags)


STEPS = """\
start: 2026-11-10T09:00:00Z
end: 2026-11-12T12:00:00Z
customers:
  - {id: acme, tier: premier-plus, timezone: America/New_York, region: north_america}
hosts:
  - {id: srv, customer: acme}
events:
  - {at: 2026-11-10T09:10:00Z, host: srv, probe: "disk:/", status: critical}
  - {at: 2026-11-10T09:30:00Z, host: srv, step: respond, by: sam}
  - {at: 2026-11-10T09:40:00Z, host: srv, step: confirm, by: sam}
  - {at: 2026-11-10T10:00:00Z, host: srv, step: onsite, by: sam}
  - {at: 2026-11-10T11:00:00Z, host: srv, step: dispatch, by: sam}
  - {at: 2026-11-10T12:00:00Z, host: srv, step: wait, by: sam}
  - {at: 2026-11-10T12:30:00Z, host: srv, step: resume, by: sam}
  - {at: 2026-11-11T10:00:00Z, host: srv, step: deliver, by: sam}
  - {at: 2026-11-11T11:00:00Z, host: srv, step: arrived, by: sam}
  - {at: 2026-11-11T12:00:00Z, host: srv, step: resolve, by: sam}
  - {at: 2026-11-11T12:05:00Z, host: srv, step: resolve, by: sam, force: true, note: swapped}
  - {at: 2026-11-11T13:00:00Z, host: srv, step: return, by: sam}
  - {at: 2026-11-11T14:00:00Z, host: srv, step: close, by: sam, force: true}
"""
