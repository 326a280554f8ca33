"""Two simulated Mitel 3300s: their alarms change on a timeline while you watch.

Each has an address of its own on loopback (127.0.0.2, 127.0.0.3), where it answers the
collector's SNMP polls and its administration page, and from where it sends traps. Pure
timeline first, as in :mod:`collector.demo.fleet` (time in report intervals):

==============  ==========================================================================
hb-mitel-1      minor (voice mail) from 6 to 14, major (trunks too) from 14 to 22, clear
md-mitel-1      restarts at 10 (shutdown, then restart-complete traps); critical (call
                control) from 34 to 44 with its trap *lost*: the collector's poll finds it
==============  ==========================================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from collector.demo.fleet import CYCLE
from collector.demo.mitel_agent import MitelSnmpAgent, Objects

log = logging.getLogger(__name__)

COMMUNITY = "demo-mitel-ro"
_MITEL = "1.3.6.1.4.1.1027"
_ALARM = f"{_MITEL}.4.1.1.2.2"
ALARM_TRAP, SHUTDOWN_TRAP, RESTART_TRAP = (f"{_MITEL}.1.2.3.0.{n}" for n in (301, 302, 303))


@dataclass(frozen=True)
class SimMitel:
    id: str
    name: str
    customer_id: str
    address: str
    timeline: str  # "alarms" or "restart"


MITELS = (
    SimMitel("hb-mitel-1", "Harbor Freight MiVoice Business", "harbor", "127.0.0.2", "alarms"),
    SimMitel("md-mitel-1", "Meridian Clinics 3300 ICP", "meridian", "127.0.0.3", "restart"),
)


@dataclass(frozen=True)
class MitelState:
    level: int  # 1 clear, 2 minor, 3 major, 4 critical
    categories: tuple[tuple[str, int], ...] = ()
    trap_lost: bool = False


def mitel_state(mitel: SimMitel, elapsed: float) -> MitelState:
    at = elapsed % CYCLE
    if mitel.timeline == "alarms":
        if 6 <= at < 14:
            return MitelState(2, (("Voice mail", 2),))
        if 14 <= at < 22:
            return MitelState(3, (("Trunks", 3), ("Voice mail", 2)))
        return MitelState(1)
    if 34 <= at < 44:
        return MitelState(4, (("Call control", 4),), trap_lost=True)
    return MitelState(1)


def restarting(mitel: SimMitel, before: float, after: float) -> bool:
    """Whether the restart moment (interval 10 of each cycle) falls in (before, after]."""
    if mitel.timeline != "restart":
        return False
    first = before // CYCLE * CYCLE + 10
    return any(before < moment <= after for moment in (first, first + CYCLE))


def timeline(interval_s: float) -> list[str]:
    """The Mitels' first round in words, for the start-up text."""
    at = lambda n: f"at {n * interval_s:.0f}s"  # noqa: E731
    return [
        f"{at(6)} hb-mitel-1 (Mitel, SNMP): alarm minor, {at(14)} major, clear {at(22)}",
        f"{at(10)} md-mitel-1 (Mitel, SNMP): restarts (shutdown and restart traps)",
        f"{at(34)} md-mitel-1: alarm critical with its trap lost; the poll finds it",
    ]


def objects(state: MitelState, name: str) -> Objects:
    found: Objects = {
        "1.3.6.1.2.1.1.1.0": f"Mitel 3300 ICP (demo: {name})",
        f"{_ALARM}.1.0": state.level,
        f"{_ALARM}.3.0": len(state.categories),
    }
    for index, (category, level) in enumerate(state.categories, start=1):
        found[f"{_ALARM}.4.1.4.{index}"] = level
        found[f"{_ALARM}.4.1.8.{index}"] = category
    return found


class RunningMitel:
    """One simulated system: SNMP agent and admin page on its address, traps on changes."""

    def __init__(self, mitel: SimMitel, trap_to: tuple[str, int], interval_s: float) -> None:
        self.mitel = mitel
        self.trap_to = trap_to
        self.interval_s = interval_s
        self.state = MitelState(1)
        self.agent = MitelSnmpAgent(COMMUNITY, lambda: objects(self.state, mitel.name))
        self.snmp_port = 0
        self.http_port = 0
        self._started = time.monotonic()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self.agent, local_addr=(self.mitel.address, 0)
        )
        self.snmp_port = transport.get_extra_info("sockname")[1]
        self._transport = transport
        app = web.Application()
        app.router.add_get("/", self._admin_page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.mitel.address, 0)
        await site.start()
        self.http_port = self._runner.addresses[0][1]

    async def _admin_page(self, request: web.Request) -> web.Response:
        return web.Response(text=f"MiVoice Business System Administration Tool: {self.mitel.name}")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        before = -1.0
        while True:
            elapsed = (loop.time() - started) / self.interval_s
            self._step(before, elapsed)
            before = elapsed
            await asyncio.sleep(self.interval_s / 2)

    def _step(self, before: float, elapsed: float) -> None:
        uptime = int((time.monotonic() - self._started) * 100)
        if restarting(self.mitel, before, elapsed):
            log.info("%s (%s): restarting", self.mitel.id, self.mitel.name)
            self.agent.send_trap(self.trap_to, SHUTDOWN_TRAP, {}, uptime)
            self.agent.send_trap(self.trap_to, RESTART_TRAP, {}, 0)
        state = mitel_state(self.mitel, elapsed)
        if state.level != self.state.level:
            lost = " (trap lost: the poll will find it)" if state.trap_lost else ""
            log.info("%s (%s): alarm level %d%s", self.mitel.id, self.mitel.name, state.level, lost)
            self.state = state
            if not state.trap_lost:
                level: Objects = {
                    f"{_ALARM}.1.0": state.level,
                    f"{_ALARM}.3.0": len(state.categories),
                }
                self.agent.send_trap(self.trap_to, ALARM_TRAP, level, uptime)
        self.state = state

    async def stop(self) -> None:
        self._transport.close()
        await self._runner.cleanup()

    def inventory_host(self) -> dict[str, Any]:
        return {
            "id": self.mitel.id,
            "name": self.mitel.name,
            "kind": "mitel",
            "address": self.mitel.address,
            "snmp": {"version": "2c", "community": COMMUNITY, "port": self.snmp_port},
            "checks": [
                {"kind": "http", "name": "admin",
                 "target": f"http://{self.mitel.address}:{self.http_port}/"},
            ],
        }  # fmt: skip


@contextlib.asynccontextmanager
async def running_mitels(
    trap_to: tuple[str, int], interval_s: float
) -> AsyncIterator[list[RunningMitel]]:
    """Both systems answering on their addresses; their timelines start with ``start_all``."""
    systems = [RunningMitel(m, trap_to, interval_s) for m in MITELS]
    async with contextlib.AsyncExitStack() as stack:
        for system in systems:
            await system.start()
            stack.push_async_callback(system.stop)
        yield systems


async def run_all(systems: list[RunningMitel]) -> None:
    async with asyncio.TaskGroup() as tasks:
        for system in systems:
            tasks.create_task(system.run(), name=f"simulated-{system.mitel.id}")
