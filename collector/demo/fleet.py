"""The demo's simulated fleet: who the customers are, what their hosts report, and when
things go wrong.

Everything here is pure. Time is counted in report intervals since the demo started, so the
same timeline plays at any ``--speed``, and a test can ask "what does this host report at
interval 12?" without sleeping. Faults repeat every :data:`CYCLE` intervals so there is always
something happening while you watch:

===================  ======================================================================
scenario             timeline within its cycle (intervals after its offset)
===================  ======================================================================
trunk registration   ``Unregistered`` from 3 to 9, ``Registered`` otherwise
disk filling         steady until 5, then +3 points a report to 97 %, cleaned up at 22
agent silent         no reports from 24 to 32 (the heartbeat fault needs 3 missed intervals)
===================  ======================================================================

What each host reports at a given state is in :mod:`collector.demo.reports`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

#: Seconds between reports at ``--speed 1``.
BASE_INTERVAL_S = 10.0
#: Length of one round of scenarios, in intervals.
CYCLE = 60
TRUNK_LOST = (3.0, 9.0)
DISK_FILL_STARTS, DISK_CLEANED = 5.0, 22.0
DISK_CLIMB_PER_INTERVAL, DISK_FULLEST = 3.0, 97.0
#: The collector's default warning and critical disk levels, named in the console.
DISK_LEVELS = (85.0, 95.0)
SILENT = (24.0, 32.0)
DEFAULT_DISKS = (("/", 40, 41.0),)


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    tier: str
    contacts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Scenario:
    """One kind of trouble on one host, starting ``offset`` intervals into the demo."""

    kind: str  # "trunk" | "disk" | "silent"
    offset: float = 0.0
    target: str = ""  # the trunk name or the mount point


@dataclass(frozen=True)
class SimHost:
    id: str
    name: str
    customer_id: str
    kind: str = "server"  # "server" | "pbx"
    #: Mount point → (size in GiB, usual percent used).
    disks: tuple[tuple[str, int, float], ...] = DEFAULT_DISKS
    trunks: tuple[str, ...] = ()
    phones: int = 0
    scenarios: tuple[Scenario, ...] = ()


@dataclass(frozen=True)
class HostState:
    """What one host is like at one moment of the demo."""

    reporting: bool
    disk_percent: dict[str, float] = field(default_factory=dict)
    trunk_registration: dict[str, str] = field(default_factory=dict)


CUSTOMERS = (
    Customer(
        "northwind",
        "Northwind Dental Group",
        "cat1",
        (("Priya Shah", "priya.shah@northwind-dental.example"),),
    ),
    Customer(
        "harbor",
        "Harbor Freight Logistics",
        "cat2",
        (
            ("Tom Okafor", "it@harbor-freight.example"),
            ("Night desk", "nightdesk@harbor-freight.example"),
        ),
    ),
    Customer(
        "meridian",
        "Meridian Health Clinics",
        "premium",
        (("Dr Ana Ruiz", "ana.ruiz@meridian-health.example"),),
    ),
)

Disk = tuple[str, int, float]


def _pbx(host_id: str, name: str, customer: str, trunks: tuple[str, ...], phones: int) -> SimHost:
    disks = (("/", 32, 38.0), ("/var/spool/asterisk", 100, 52.0))
    return SimHost(host_id, name, customer, "pbx", disks, trunks, phones)


def _server(host_id: str, name: str, customer: str, *disks: Disk) -> SimHost:
    """A server with the ``disks`` named, else the usual root disk alone."""
    return SimHost(host_id, name, customer, disks=disks or DEFAULT_DISKS)


_HOSTS = (
    _pbx("nw-pbx-1", "Northwind phone system", "northwind", ("gamma-trunk",), 24),
    _server("nw-fs-1", "Northwind file server", "northwind", ("/", 40, 35.0), ("/srv", 2000, 63.0)),
    _server("nw-web-1", "Northwind booking site", "northwind"),
    _server("nw-ws-reception", "Reception PC", "northwind"),
    _server("nw-ws-surgery", "Surgery PC", "northwind"),
    _server(
        "nw-backup", "Northwind backup box", "northwind", ("/", 40, 30.0), ("/backup", 4000, 71.0)
    ),
    _pbx("hb-pbx-1", "Harbor HQ phone system", "harbor", ("bt-sip", "voipfone"), 40),
    _pbx("hb-pbx-2", "Harbor depot phone system", "harbor", ("bt-sip",), 12),
    _server(
        "hb-db-1", "Harbor database", "harbor", ("/", 40, 44.0), ("/var/lib/postgresql", 500, 70.0)
    ),
    _server("hb-app-1", "Harbor dispatch app 1", "harbor"),
    _server("hb-app-2", "Harbor dispatch app 2", "harbor"),
    _server("hb-web-1", "Harbor tracking site", "harbor"),
    _server("hb-files", "Harbor file server", "harbor", ("/", 40, 33.0), ("/srv", 1000, 58.0)),
    _pbx("md-pbx-core", "Meridian core PBX", "meridian", ("gamma-trunk", "colt-sip"), 120),
    _pbx("md-pbx-branch", "Meridian branch PBX", "meridian", ("colt-sip",), 30),
    _server(
        "md-ehr-db", "Meridian records database", "meridian", ("/", 80, 40.0), ("/data", 2000, 66.0)
    ),
    _server("md-ehr-app", "Meridian records app", "meridian"),
    _server("md-files", "Meridian file server", "meridian", ("/", 40, 36.0), ("/srv", 1000, 72.0)),
    _server("md-vpn", "Meridian VPN gateway", "meridian"),
    _server("md-mon", "Meridian door-entry controller", "meridian"),
)

#: What goes wrong on which host, and when.
SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "nw-pbx-1": (Scenario("trunk", 0, "gamma-trunk"),),
    "nw-ws-reception": (Scenario("silent", 30),),
    "hb-db-1": (Scenario("disk", 30, "/var/lib/postgresql"),),
    "hb-app-2": (Scenario("silent", 0),),
    "md-pbx-branch": (Scenario("trunk", 30, "colt-sip"),),
    "md-files": (Scenario("disk", 0, "/srv"),),
}

FLEET = tuple(replace(host, scenarios=SCENARIOS.get(host.id, ())) for host in _HOSTS)


def phase(elapsed: float, offset: float) -> float | None:
    """Intervals into the scenario's current cycle; None before it first starts."""
    if elapsed < offset:
        return None
    return (elapsed - offset) % CYCLE


def trunk_registration(at: float | None) -> str:
    lost = at is not None and TRUNK_LOST[0] <= at < TRUNK_LOST[1]
    return "Unregistered" if lost else "Registered"


def disk_percent(at: float | None, usual: float) -> float:
    """Climbs past 85 % then 95 %, stays nearly full, then is cleaned up and creeps back."""
    if at is None or at < DISK_FILL_STARTS:
        return usual
    if at < DISK_CLEANED:
        climbed = usual + DISK_CLIMB_PER_INTERVAL * (at - DISK_FILL_STARTS)
        return round(min(DISK_FULLEST, climbed), 2)
    cleaned = usual - 15.0
    return round(cleaned + 15.0 * (at - DISK_CLEANED) / (CYCLE - DISK_CLEANED), 2)


def agent_silent(at: float | None) -> bool:
    return at is not None and SILENT[0] <= at < SILENT[1]


def host_state(host: SimHost, elapsed: float) -> HostState:
    """The host ``elapsed`` intervals after the demo started."""
    disks = {mount: usual for mount, _, usual in host.disks}
    trunks = dict.fromkeys(host.trunks, "Registered")
    reporting = True
    for scenario in host.scenarios:
        at = phase(elapsed, scenario.offset)
        if scenario.kind == "trunk":
            trunks[scenario.target] = trunk_registration(at)
        elif scenario.kind == "disk":
            disks[scenario.target] = disk_percent(at, disks[scenario.target])
        elif scenario.kind == "silent":
            reporting = reporting and not agent_silent(at)
    return HostState(reporting, disks, trunks)


def describe_changes(before: HostState | None, after: HostState) -> list[str]:
    """What changed between two moments, in words for the demo's console."""
    if before is None:
        return []
    said = []
    if before.reporting != after.reporting:
        said.append("agent reporting again" if after.reporting else "agent stopped reporting")
    for trunk, status in after.trunk_registration.items():
        if before.trunk_registration.get(trunk) != status:
            said.append(f"trunk {trunk} registration {status}")
    for mount, percent in after.disk_percent.items():
        old = before.disk_percent.get(mount, percent)
        crossed = [level for level in DISK_LEVELS if old < level <= percent]
        if crossed:
            said.append(f"disk {mount} {percent:.0f}% full (past {crossed[-1]:.0f}%)")
        elif old >= DISK_LEVELS[0] > percent:
            said.append(f"disk {mount} cleaned up, {percent:.0f}% full")
    return said


_TOLD = {
    "trunk": (TRUNK_LOST, "trunk {target} loses its registration; back at {end}"),
    "disk": ((DISK_FILL_STARTS, DISK_CLEANED), "{target} fills past 85% and 95%; cleaned at {end}"),
    "silent": (SILENT, "the agent falls silent; reporting again at {end}"),
}


def timeline(interval_s: float) -> list[str]:
    """The first round of scenarios in words, with times in seconds, for the start-up text."""
    customers = {c.id: c for c in CUSTOMERS}
    events = []
    for host in FLEET:
        customer = customers[host.customer_id]
        for scenario in (s for s in host.scenarios if s.offset == 0):
            (start, end), text = _TOLD[scenario.kind]
            what = text.format(target=scenario.target, end=f"{end * interval_s:.0f}s")
            who = f"{host.id} ({customer.name}, {customer.tier})"
            events.append((start, f"at {start * interval_s:.0f}s {who}: {what}"))
    return [line for _, line in sorted(events)]


def inventory(
    hosts: dict[str, str],
    interval_s: float,
    today: date,
    extra: list[dict[str, Any]],
    extra_hosts: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The collector's inventory document; ``hosts`` maps host id → signing key.

    ``extra`` customers (the real agent's) are appended as given; ``extra_hosts`` (customer
    id → host entries: the simulated Mitels, which have no agent) join their customers."""
    customers = []
    for customer in CUSTOMERS:
        customers.append(
            {
                "id": customer.id,
                "name": customer.name,
                "contacts": [{"name": name, "email": email} for name, email in customer.contacts],
                "contract": {
                    "tier": customer.tier,
                    "starts_on": today - timedelta(days=200),
                    "ports": sum(h.phones for h in FLEET if h.customer_id == customer.id),
                },
                "hosts": [
                    {
                        "id": h.id,
                        "name": h.name,
                        "kind": h.kind,
                        "interval_s": interval_s,
                        "key": hosts[h.id],
                    }
                    for h in FLEET
                    if h.customer_id == customer.id
                ]
                + (extra_hosts or {}).get(customer.id, []),
            }
        )
    return {"customers": customers + extra}
