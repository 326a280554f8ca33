"""The simulated agents: one task per fleet host, pushing real signed reports over HTTP.

They speak the same wire protocol as the real agent (``agent.protocol``), on the timeline in
:mod:`collector.demo.fleet`. Unlike the real agent they keep no spool: a report the collector
does not take is simply lost, which the demo never needs.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from datetime import UTC, datetime

import aiohttp

from agent import protocol
from collector.demo import fleet, reports

log = logging.getLogger(__name__)

AGENT_VERSION = "demo-simulated"


async def simulate_fleet(collector_url: str, keys: dict[str, str], interval_s: float) -> None:
    """Run every simulated host until cancelled; ``keys`` maps host id → signing key."""
    url = collector_url.rstrip("/") + protocol.REPORTS_PATH
    started = asyncio.get_running_loop().time()
    timeout = aiohttp.ClientTimeout(total=max(5.0, 2 * interval_s))
    async with aiohttp.ClientSession(timeout=timeout) as session, asyncio.TaskGroup() as tasks:
        for index, host in enumerate(fleet.FLEET):
            # Spread the hosts over the interval, as real agents started at random times are.
            stagger_s = interval_s * index / len(fleet.FLEET)
            agent = _SimulatedAgent(session, url, host, keys[host.id].encode(), interval_s)
            tasks.create_task(agent.run(started, stagger_s), name=f"simulated-{host.id}")


class _SimulatedAgent:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        host: fleet.SimHost,
        key: bytes,
        interval_s: float,
    ) -> None:
        self.session = session
        self.url = url
        self.host = host
        self.key = key
        self.interval_s = interval_s
        self.seq = 0
        # Up for a while already, differently on each host but the same at every run.
        self.boot_time = time.time() - 3600 * (50 + zlib.crc32(host.id.encode()) % 2000)

    async def run(self, started: float, stagger_s: float) -> None:
        loop = asyncio.get_running_loop()
        previous: fleet.HostState | None = None
        tick = 0
        while True:
            # Sleep to a schedule, not for a fixed time: a slow push does not make later ones drift.
            await asyncio.sleep(
                max(0.0, started + stagger_s + tick * self.interval_s - loop.time())
            )
            state = fleet.host_state(self.host, (loop.time() - started) / self.interval_s)
            for change in fleet.describe_changes(previous, state):
                log.info("%s (%s): %s", self.host.id, self.host.name, change)
            previous = state
            if state.reporting:
                await self.push(state, tick)
            tick += 1

    async def push(self, state: fleet.HostState, tick: int) -> None:
        self.seq += 1
        now = time.time()
        report = protocol.build_report(
            host_id=self.host.id,
            seq=self.seq,
            sampled_at=datetime.fromtimestamp(now, UTC),
            interval_s=self.interval_s,
            agent_version=AGENT_VERSION,
            probes=reports.probes(self.host, state, tick, self.boot_time, now),
        )
        body = protocol.encode(report)
        headers = protocol.signed_headers(self.host.id, self.key, body, int(now))
        try:
            async with self.session.post(self.url, data=body, headers=headers) as response:
                if response.status >= 300:
                    reason = (await response.text())[:200]
                    log.warning(
                        "%s: collector answered %d to seq %d: %s",
                        self.host.id,
                        response.status,
                        self.seq,
                        reason,
                    )
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("%s: report seq %d not delivered: %s", self.host.id, self.seq, exc)
