"""The leader's SNMP work: traps received by any collector turned into faults, and polls.

Every tick (one second) it claims the traps stored since the last one and evaluates them,
brings those hosts' polls forward, starts the polls that are due (each host every
``snmp.poll_interval_s``), and stores the polls that finished. Polls run as tasks, so a host
that does not answer holds up nobody.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain.snmp_profiles import SYS_DESCR, Profile
from collector.engine.snmp_results import PollOutcome, record_polls, record_traps
from collector.jobs.schedules import Schedules
from collector.runtime.metrics import Metrics
from collector.snmp.poller import Poller, PollError
from collector.store import snmp as snmp_store
from collector.store.database import Database
from collector.store.snmp import SnmpAgent

log = logging.getLogger(__name__)

TICK_S = 1.0
RELOAD_S = 30.0
PRUNE_S = 3600.0
#: Processed traps are kept this long (to look into a storm), then deleted.
KEEP_TRAPS = timedelta(days=1)


def claim_and_record(conn: Connection, config: CollectorConfig, now: datetime) -> set[str]:
    traps = snmp_store.claim_traps(conn, now)
    return record_traps(conn, config, traps, now) if traps else set()


class SnmpDuty:
    def __init__(
        self,
        db: Database,
        config: CollectorConfig,
        clock: Callable[[], datetime],
        metrics: Metrics,
    ) -> None:
        self._db = db
        self._config = config
        self._settings = config.snmp
        self._clock = clock
        self._metrics = metrics
        self._poller: Poller | None = None
        self._agents: dict[str, SnmpAgent] = {}
        self._loaded_at: datetime | None = None
        self._due: dict[str, datetime] = {}
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._finished: list[PollOutcome] = []

    def install(self, schedules: Schedules) -> None:
        schedules.every(TICK_S, self.tick, "snmp")
        schedules.every(PRUNE_S, self.prune, "snmp-traps-prune")

    async def prune(self) -> int:
        deleted: int = await self._db.write(snmp_store.prune_traps, self._clock() - KEEP_TRAPS)
        return deleted

    async def tick(self) -> None:
        now = self._clock()
        if self._loaded_at is None or (now - self._loaded_at).total_seconds() >= RELOAD_S:
            await self.reload()
        if not self._agents:
            return  # no SNMP hosts (yet): no traps were accepted, nothing to poll
        trapped = await self._db.write(claim_and_record, self._config, now)
        for host_id in trapped:
            if host_id in self._agents:
                self._due[host_id] = now  # a trap may be one of several lost: look now
        self._start_due(now)
        await self.flush()

    async def reload(self) -> None:
        agents = await self._db.read(snmp_store.all_agents)
        now = self._clock()
        self._agents = {agent.host_id: agent for agent in agents}
        self._due = {host_id: self._due.get(host_id, now) for host_id in self._agents}
        self._loaded_at = now

    def _start_due(self, now: datetime) -> None:
        interval = timedelta(seconds=self._settings.poll_interval_s)
        for host_id, due in list(self._due.items()):
            if due > now or host_id in self._in_flight:
                continue
            self._due[host_id] = now + interval
            task = asyncio.create_task(self._poll(self._agents[host_id]))
            self._in_flight[host_id] = task
            task.add_done_callback(functools.partial(self._done, host_id))

    def _done(self, host_id: str, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(host_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("polling %s failed", host_id, exc_info=task.exception())

    async def _poll(self, agent: SnmpAgent) -> None:
        profile = self._settings.profile_book.get(agent.profile)
        if profile is None:
            return
        scalars, columns = objects_to_poll(profile)
        if self._poller is None:
            self._poller = Poller(
                timeout_s=self._settings.poll_timeout_s, retries=self._settings.poll_retries
            )
        at = self._clock()
        try:
            answer = await self._poller.poll(agent, scalars, columns)
        except PollError as exc:
            self._metrics.snmp_polls.labels(outcome="unanswered").inc()
            self._finished.append(PollOutcome(agent.host_id, at, {}, {}, str(exc)))
            return
        self._metrics.snmp_polls.labels(outcome="answered").inc()
        self._finished.append(PollOutcome(agent.host_id, at, answer.values, answer.columns))

    async def flush(self) -> int:
        if not self._finished:
            return 0
        batch, self._finished = self._finished, []
        try:
            stored: int = await self._db.write(record_polls, self._config, batch, self._clock())
        except Exception:  # one boundary per batch; the next polls bring fresh news
            log.exception("storing %d SNMP polls failed", len(batch))
            return 0
        return stored

    async def drain(self) -> int:
        """Wait for the polls under way and store them (for tests and shut-down)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        return await self.flush()

    async def stop(self) -> None:
        for task in list(self._in_flight.values()):
            task.cancel()
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        await self.flush()
        if self._poller is not None:
            self._poller.close()
            self._poller = None


def objects_to_poll(profile: Profile) -> tuple[list[str], list[str]]:
    """The scalars to GET (sysDescr always: it proves the agent answers) and columns to WALK."""
    spec = profile.poll
    if spec is None:
        return [SYS_DESCR], []
    scalars = [spec.level, SYS_DESCR] + ([spec.count] if spec.count else [])
    columns = [c for c in (spec.table_name, spec.table_level) if c]
    return scalars, columns
