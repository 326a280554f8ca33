"""A paging scenario for the simulate command's tests, kept apart from them for its length."""

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
