"""The inbox between receivers and the leader: a storm's repeats are one row with a count, and
the latest trap decides, however the repeats interleave."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from collector.app import TRAPS
from collector.snmp.notifications import Notification
from collector.store import snmp as snmp_store
from tests.support.snmp_collector import HOST, MITEL_ALARM, snmp_collector
from tests.support.snmptrap import ALARM_TRAP, LEVEL

pytestmark = pytest.mark.integration


def _alarm(level: int) -> Notification:
    return Notification("127.0.0.1", "2c", "public", ALARM_TRAP, {LEVEL: level})


async def test_repeats_are_one_row_dated_and_placed_as_the_last_of_them(
    database_url: str, tmp_path: Path
) -> None:
    async with snmp_collector(database_url, tmp_path) as collector:
        inbox = collector.client.app[TRAPS].inbox
        agent = await collector.db.read(snmp_store.get_agent, HOST)
        assert agent is not None
        for level in (4, 4, 1, 4):  # critical, cleared, critical again: no await between
            collector.clock.advance(timedelta(seconds=1))
            inbox.add(agent, _alarm(level))

        assert await inbox.flush() == 2
        await collector.duty.tick()

        [fault] = await collector.open_faults(MITEL_ALARM)
        assert fault.severity == "critical"
        status = await collector.db.read(snmp_store.load_status, HOST)
        assert (status.level, status.traps_total) == ("critical", 4)
        assert status.last_trap_at == collector.clock()
