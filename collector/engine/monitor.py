"""Drives the fault engine: evaluates newly stored reports and sweeps for silent agents.

Reports are evaluated after they are committed, in arrival order, by one task; a crash
between the two leaves them unprocessed, and the next start picks them up.

Evaluating a batch is two steps, so that agents are not kept waiting behind it. The work
(rules, check state machines) is ``pipeline.plan_reports``: it only reads, on a reader
thread. ``pipeline.apply_plan`` then stores the outcome in a short transaction on the writer
thread, which ingest commits share, provided nothing the plan read changed meanwhile (else
the batch is planned again).

Evaluation also waits a moment for reports to gather into a batch instead of running after
every ingest commit: its cost is mostly per batch (the check states of the hosts in it). A
fault is decided at most ``linger_s`` later for that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from collector.config.settings import CollectorConfig
from collector.engine import pipeline
from collector.engine.figures import CounterMemory
from collector.store.database import Database
from collector.store.reports import IncomingReport

log = logging.getLogger(__name__)

#: How long after a heartbeat deadline the sweep that looks for it runs.
_PAST_DEADLINE_S = 0.05


class Monitor:
    def __init__(
        self,
        db: Database,
        config: CollectorConfig,
        clock: Callable[[], datetime],
        *,
        linger_s: float = 0.2,
        attempts: int = 3,
        max_bodies: int = 20_000,
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        self._linger_s = linger_s
        self._attempts = attempts
        # Bodies of reports committed here and not yet evaluated, by (host, seq): evaluation
        # takes them from here rather than reading and decoding them again.
        self._bodies: dict[tuple[str, int], Any] = {}
        self._max_bodies = max_bodies
        self._counters = CounterMemory()
        self._wakeup = asyncio.Event()
        self._full = asyncio.Event()
        self._committed = 0  # reports committed here since the last evaluation started
        self._task: asyncio.Task[None] | None = None
        #: Set when a host's heartbeat deadline has come (see ``sweep``).
        self.sweep_due = asyncio.Event()
        self._next_sweep: asyncio.TimerHandle | None = None

    def wake(self, reports: Sequence[IncomingReport] = ()) -> None:
        """New reports were committed: evaluate them soon."""
        for report in reports:
            if len(self._bodies) >= self._max_bodies:
                break  # far behind: the rest are read from the database when their turn comes
            self._bodies[(report.host_id, report.seq)] = report.body
        self._committed += len(reports)
        self._wakeup.set()
        if self._committed >= pipeline.BATCH_SIZE:
            self._full.set()

    def start(self) -> None:
        self._wakeup.set()  # anything left unprocessed by a previous run
        self._task = asyncio.create_task(self._run(), name="monitor")

    async def stop(self) -> None:
        if self._next_sweep is not None:
            self._next_sweep.cancel()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            await self._gather()
            try:
                await self._drain()
            except pipeline.Conflict:  # busy collectors on one database: try again soon
                self._wakeup.set()
            except Exception:  # keep evaluating later reports; this batch stays pending
                log.exception("evaluating reports failed")
                await asyncio.sleep(1)
                self._wakeup.set()

    async def _gather(self) -> None:
        """Wait up to ``linger_s``, or until a full batch has been committed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._full.wait(), self._linger_s)
        self._wakeup.clear()
        self._full.clear()
        self._committed = 0

    async def _drain(self) -> None:
        """Evaluate batches until the backlog is gone, letting ingest commits go in between."""
        while True:
            if await self.process_pending() < pipeline.BATCH_SIZE:
                return
            await asyncio.sleep(0)

    async def process_pending(self) -> int:
        """Evaluate one batch of unprocessed reports; returns how many there were.

        After ``attempts`` plans spoilt by other writers (a sweep, another collector), the
        batch is evaluated in one transaction on the writer thread, which nothing in this
        process can interleave with.
        """
        now = self._clock()
        for _ in range(self._attempts):
            plan = await self._db.read(
                pipeline.plan_reports,
                self._config,
                now,
                bodies=self._bodies,
                counters=self._counters,
            )
            if plan is None:
                self._bodies.clear()  # all evaluated, here or by another collector
                return 0
            try:
                done = await self._db.write(pipeline.apply_plan, self._config, plan)
            except pipeline.Conflict as conflict:
                log.debug("evaluating again: %s", conflict)
                continue
            for key in plan.report_keys:
                self._bodies.pop(key, None)
            self._counters.keep(plan.counters)
            return done
        return await self._db.write(pipeline.process_reports, self._config, now)

    async def sweep(self) -> None:
        """Look for agents that went silent and faults that need a reminder; ask for the next
        sweep (``sweep_due``) at the moment the next host would fall silent, when that comes
        before the regular one, so an agent's silence is noticed at its deadline."""
        next_silence = await self._db.write(pipeline.sweep, self._config, self._clock())
        if self._next_sweep is not None:
            self._next_sweep.cancel()
            self._next_sweep = None
        if next_silence is None:
            return
        wait_s = (next_silence - self._clock()).total_seconds()
        if wait_s < self._config.monitoring.sweep_interval_s:
            # A moment past the deadline, so that the sweep finds the host silent.
            wait_s = max(0.0, wait_s) + _PAST_DEADLINE_S
            self._next_sweep = asyncio.get_running_loop().call_later(wait_s, self.sweep_due.set)
