"""The leader's SNMP duty against a real snmpd answering as a Mitel 3300 (its ``pass``
extension serves the alarm objects the test sets): polls correct lost traps, an unanswered
poll is a reachability fault, restarts are events and a fault that clears itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from collector.store import snmp as snmp_store
from tests.support.snmp_collector import HOST, MITEL_ALARM, SnmpCollector, add_mitel, snmp_collector
from tests.support.snmpd import MitelAgent, free_udp_port, running_snmpd
from tests.support.snmptrap import RESTART_TRAP, alarm, send_trap

pytestmark = pytest.mark.integration

INTERVAL = timedelta(seconds=120)


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MitelAgent]:
    with running_snmpd(tmp_path_factory.mktemp("snmpd")) as agent:
        yield agent


@pytest.fixture
async def collector(
    database_url: str, tmp_path: Path, snmpd: MitelAgent
) -> AsyncIterator[SnmpCollector]:
    snmpd.set_alarm(1)
    add = partial(add_mitel, community=snmpd.community, port=snmpd.port)
    async with snmp_collector(database_url, tmp_path, add_host=add) as running:
        yield running


async def test_it_polls_the_level_and_the_categories_in_alarm(
    collector: SnmpCollector, snmpd: MitelAgent
) -> None:
    snmpd.set_alarm(3, [("Trunks", 3), ("Power supply", 2)])
    await collector.tick()

    [fault] = await collector.open_faults(MITEL_ALARM)
    assert fault.severity == "major"
    assert "in alarm: Trunks (major), Power supply (minor)" in fault.detail
    status = await collector.db.read(snmp_store.load_status, HOST)
    assert status.level == "major"
    assert status.sys_descr.startswith("Mitel 3300 ICP")
    assert [c["name"] for c in status.categories] == ["Trunks", "Power supply"]


async def test_it_finds_a_change_whose_trap_was_lost_within_one_interval(
    collector: SnmpCollector, snmpd: MitelAgent
) -> None:
    await collector.tick()
    assert await collector.open_faults() == []

    snmpd.set_alarm(4, [("Call control", 4)])  # and no trap is sent
    collector.clock.advance(INTERVAL)
    await collector.tick()

    [fault] = await collector.open_faults(MITEL_ALARM)
    assert fault.severity == "critical"
    events = await collector.db.read(snmp_store.recent_events, HOST)
    assert [e.detail for e in events if e.kind == "alarm"] == [
        "Mitel alarm level: critical; in alarm: Call control (critical)",
        "Mitel alarm level: ok",
    ]  # the level's history, newest first


async def test_it_polls_at_once_on_a_trap(collector: SnmpCollector, snmpd: MitelAgent) -> None:
    await collector.tick()
    snmpd.set_alarm(2, [("Licensing", 2)])
    send_trap(collector.port, varbinds=alarm(2, 1), credential=snmpd.community)
    await collector.wait_for_traps(1)
    await collector.tick()  # same moment: only the trap brings this poll forward

    [fault] = await collector.open_faults(MITEL_ALARM)
    assert "in alarm: Licensing (minor)" in fault.detail


async def test_it_raises_snmp_unreachable_when_polls_go_unanswered(
    sqlite_url: str, tmp_path: Path
) -> None:
    silent = partial(add_mitel, port=free_udp_port())
    async with snmp_collector(
        sqlite_url, tmp_path, add_host=silent, poll_timeout_s=0.2, poll_retries=0
    ) as collector:
        for _ in range(2):
            await collector.tick()
            collector.clock.advance(INTERVAL)

        [fault] = await collector.open_faults("remote.snmp")
        assert "SNMP poll unanswered" in fault.detail
        assert await collector.metric("faultdesk_snmp_polls_total", outcome="unanswered") == 2


async def test_it_records_a_restart_and_clears_its_fault_after_the_configured_time(
    collector: SnmpCollector, snmpd: MitelAgent
) -> None:
    send_trap(collector.port, RESTART_TRAP, credential=snmpd.community)
    await collector.wait_for_traps(1)
    await collector.tick()

    [fault] = await collector.open_faults("snmp.restart")
    assert fault.severity == "major"
    events = await collector.db.read(snmp_store.recent_events, HOST)
    assert [e.detail for e in events if e.kind == "restart"] == ["PBX restart complete"]

    collector.clock.advance(timedelta(seconds=collector.config.snmp.restart_fault_s))
    await collector.tick()
    assert await collector.open_faults("snmp.restart") == []


async def test_it_prunes_processed_traps_after_a_day(
    collector: SnmpCollector, snmpd: MitelAgent
) -> None:
    send_trap(collector.port, varbinds=alarm(1), credential=snmpd.community)
    await collector.wait_for_traps(1)
    assert await collector.duty.prune() == 0  # not processed yet
    await collector.tick()
    assert await collector.duty.prune() == 0  # processed just now

    collector.clock.advance(timedelta(days=1, seconds=1))
    assert await collector.duty.prune() == 1
    assert await collector.stored_traps() == 0
