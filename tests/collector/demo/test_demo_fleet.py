"""The demo's simulated fleet: its timelines, and reports the collector reads like the agent's."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

import yaml

from agent import protocol
from agent.config import SystemSettings
from agent.probes import system
from collector.config.inventory_file import read_inventory
from collector.demo import fleet, reports
from collector.domain.policy import Status, Thresholds
from collector.domain.rules import observations_from_report

REPO = Path(__file__).resolve().parents[3]


def host(host_id: str) -> fleet.SimHost:
    return next(h for h in fleet.FLEET if h.id == host_id)


def scenario_host(kind: str, offset: float = 0) -> fleet.SimHost:
    return next(
        h for h in fleet.FLEET if any(s.kind == kind and s.offset == offset for s in h.scenarios)
    )


def report_at(sim: fleet.SimHost, elapsed: float) -> dict[str, object]:
    state = fleet.host_state(sim, elapsed)
    now = time.time()
    return protocol.build_report(
        host_id=sim.id,
        seq=1,
        sampled_at=datetime.now(UTC),
        interval_s=10,
        agent_version="test",
        probes=reports.probes(sim, state, int(elapsed), now - 86400, now),
    )


def observed(sim: fleet.SimHost, elapsed: float) -> dict[str, Status]:
    found = observations_from_report(report_at(sim, elapsed), Thresholds())
    return {o.check_key: o.status for o in found}


def test_it_has_three_customers_on_different_known_tiers_and_twenty_hosts_with_pbxs() -> None:
    catalogue = yaml.safe_load((REPO / "config" / "tiers.yaml").read_text())["tiers"]
    tiers = [c.tier for c in fleet.CUSTOMERS]
    assert len(set(tiers)) >= 3
    assert set(tiers) <= set(catalogue)
    assert len(fleet.FLEET) >= 20
    assert len({h.id for h in fleet.FLEET}) == len(fleet.FLEET)
    assert sum(h.kind == "pbx" for h in fleet.FLEET) >= 2
    assert {h.customer_id for h in fleet.FLEET} == {c.id for c in fleet.CUSTOMERS}


def test_it_loses_the_trunk_registration_only_within_its_window() -> None:
    pbx = scenario_host("trunk")
    trunk = pbx.scenarios[0].target
    start, end = fleet.TRUNK_LOST

    def registration(elapsed: float) -> str:
        return fleet.host_state(pbx, elapsed).trunk_registration[trunk]

    assert registration(start - 0.1) == "Registered"
    assert registration(start) == "Unregistered"
    assert registration(end - 0.1) == "Unregistered"
    assert registration(end) == "Registered"
    assert registration(fleet.CYCLE + start) == "Unregistered"  # and again next round


def test_it_fills_the_disk_past_both_levels_then_cleans_it_up() -> None:
    server = scenario_host("disk")
    mount = server.scenarios[0].target
    usual = next(percent for m, _, percent in server.disks if m == mount)
    percents = [
        fleet.host_state(server, tick).disk_percent[mount] for tick in range(fleet.CYCLE + 1)
    ]
    assert percents[0] == usual < 85
    first_warning = next(i for i, p in enumerate(percents) if p >= 85)
    first_critical = next(i for i, p in enumerate(percents) if p >= 95)
    assert first_warning < first_critical < fleet.DISK_CLEANED
    assert max(percents) <= 100
    cleaned = percents[int(fleet.DISK_CLEANED)]
    assert cleaned < 80  # below the warning level minus the collector's hysteresis
    assert all(p < 85 for p in percents[int(fleet.DISK_CLEANED) :])


def test_it_silences_the_agent_for_more_than_the_heartbeat_needs_then_resumes() -> None:
    server = scenario_host("silent")
    reporting = [fleet.host_state(server, t / 10).reporting for t in range(fleet.CYCLE * 10)]
    silent_intervals = reporting.count(False) / 10
    assert silent_intervals >= Thresholds().heartbeat_missed_intervals + 2
    assert reporting[0] and reporting[-1]


def test_it_starts_a_scenario_only_after_its_offset() -> None:
    late = scenario_host("silent", offset=30)
    assert all(fleet.host_state(late, t).reporting for t in range(30 + int(fleet.SILENT[0])))
    assert not fleet.host_state(late, 30 + fleet.SILENT[0]).reporting


def test_it_leaves_hosts_without_scenarios_steady() -> None:
    quiet = host("md-vpn")
    states = {repr(fleet.host_state(quiet, t)) for t in range(2 * fleet.CYCLE)}
    assert len(states) == 1


def test_it_builds_reports_the_collectors_rules_read_as_faults() -> None:
    pbx = scenario_host("trunk")
    trunk_key = f"asterisk.registration:{pbx.scenarios[0].target}"
    assert observed(pbx, 0)[trunk_key] is Status.OK
    assert observed(pbx, fleet.TRUNK_LOST[0] + 1)[trunk_key] is Status.CRITICAL

    server = scenario_host("disk")
    disk_key = f"disk:{server.scenarios[0].target}"
    assert observed(server, 0)[disk_key] is Status.OK
    assert observed(server, fleet.DISK_CLEANED - 1)[disk_key] is Status.CRITICAL


def test_it_uses_the_real_agents_key_names() -> None:
    real = system.collect(SystemSettings())["metrics"]
    simulated = reports.system_metrics(
        host("md-files"), fleet.host_state(host("md-files"), 0), 0, time.time() - 3600, time.time()
    )
    assert set(simulated) == set(real)
    real_fs = next(iter(real["filesystems"].values()))
    simulated_fs = next(iter(simulated["filesystems"].values()))
    assert set(simulated_fs) == set(real_fs)


def test_it_repeats_the_same_numbers_for_the_same_moment() -> None:
    pbx = host("md-pbx-core")
    first = reports.probes(pbx, fleet.host_state(pbx, 7), 7, 1000.0, 5000.0)
    again = reports.probes(pbx, fleet.host_state(pbx, 7), 7, 1000.0, 5000.0)
    assert first == again
    assert set(first) == {"system", "asterisk", "sip"}
    assert first["sip"]["metrics"]["state"] == "up"


def test_it_tells_each_change_in_words() -> None:
    pbx, server, quiet = scenario_host("trunk"), scenario_host("disk"), scenario_host("silent")
    start = fleet.TRUNK_LOST[0]
    said = fleet.describe_changes(fleet.host_state(pbx, start - 1), fleet.host_state(pbx, start))
    assert said == [f"trunk {pbx.scenarios[0].target} registration Unregistered"]
    before, after = (fleet.host_state(quiet, fleet.SILENT[0] + d) for d in (-1, 0))
    assert fleet.describe_changes(before, after) == ["agent stopped reporting"]
    assert fleet.describe_changes(after, before) == ["agent reporting again"]
    climbing = [fleet.host_state(server, t) for t in range(int(fleet.DISK_CLEANED) + 1)]
    told = [line for pair in pairwise(climbing) for line in fleet.describe_changes(*pair)]
    assert [line.split("(past ")[-1] for line in told[:2]] == ["85%)", "95%)"]
    assert told[-1].startswith(f"disk {server.scenarios[0].target} cleaned up")
    assert fleet.describe_changes(None, before) == []


def test_it_writes_an_inventory_the_collector_accepts(tmp_path: Path) -> None:
    keys = {h.id: "k" * 64 for h in fleet.FLEET}
    document = fleet.inventory(keys, 10.0, date(2025, 1, 6), [])
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(document))
    inventory = read_inventory(path)
    hosts = [h for c in inventory.customers for h in c.hosts]
    assert len(hosts) == len(fleet.FLEET)
    assert {h.kind for h in hosts} == {"server", "pbx"}
    assert all(h.interval_s == 10.0 and h.key == "k" * 64 for h in hosts)


def test_it_tells_the_first_round_in_seconds_in_order() -> None:
    lines = fleet.timeline(interval_s=2.0)
    assert len(lines) == 3
    starts = [float(line.split()[1].rstrip("s")) for line in lines]
    assert starts == sorted(starts)
    assert starts[0] == fleet.TRUNK_LOST[0] * 2.0
