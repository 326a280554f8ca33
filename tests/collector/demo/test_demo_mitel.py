"""The demo's simulated Mitels: a timeline whose alarms change, answered over real SNMP."""

from __future__ import annotations

import asyncio
import socket

from collector.demo import mitel
from collector.demo.mitel import MITELS, mitel_state, restarting, running_mitels
from collector.snmp import notifications
from collector.snmp.poller import Poller
from collector.store.snmp import SnmpAgent

LEVEL = "1.3.6.1.4.1.1027.4.1.1.2.2.1.0"


def test_it_raises_and_clears_alarms_and_restarts_once_a_cycle() -> None:
    harbor, meridian = MITELS
    levels = [mitel_state(harbor, float(t)).level for t in range(0, 30, 4)]
    assert levels == [1, 1, 2, 2, 3, 3, 1, 1]
    assert mitel_state(meridian, 36.0).trap_lost
    restarts = [t for t in range(120) if restarting(meridian, t - 1.0, float(t))]
    assert restarts == [10, 70]


async def test_it_answers_polls_and_sends_traps_from_its_own_address() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as collector:
        collector.bind(("127.0.0.1", 0))
        collector.setblocking(False)
        async with running_mitels(collector.getsockname(), interval_s=1.0) as systems:
            harbor = systems[0]
            harbor.state = mitel.MitelState(3, (("Trunks", 3),))
            agent = SnmpAgent("h", harbor.mitel.address, "mitel-3300", "2c",
                              community=mitel.COMMUNITY, port=harbor.snmp_port)  # fmt: skip
            poller = Poller(timeout_s=2.0)
            try:
                answer = await poller.poll(agent, [LEVEL], ["1.3.6.1.4.1.1027.4.1.1.2.2.4.1.8"])
            finally:
                poller.close()
            assert answer.values[LEVEL] == 3
            assert list(answer.columns.values()) == [{"1": "Trunks"}]

            harbor.agent.send_trap(collector.getsockname(), mitel.ALARM_TRAP, {LEVEL: 3}, 100)
            loop = asyncio.get_running_loop()
            data, source = await asyncio.wait_for(loop.sock_recvfrom(collector, 65535), 10)
    assert source[0] == "127.0.0.2"
    community, module, message = notifications.community_of(data)
    trap = notifications.decode(source[0], community, module, message)
    assert (trap.oid, trap.varbinds) == (mitel.ALARM_TRAP, {LEVEL: 3})
