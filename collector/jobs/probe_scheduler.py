"""Runs every enabled remote check at its own interval, a bounded number at a time.

One apscheduler job ticks every second: it starts the checks that are due and stores what
finished since the last tick, in one transaction per batch (results and the faults they
raise together, see ``probe_pipeline``). Probes run as tasks that wait on one semaphore, so
``probes.max_concurrency`` bounds sockets in use however many checks fall due at once.

Spreading the load: a check never run before starts at a random moment within
``min(jitter_s, interval_s)``, and each later run moves by up to ``jitter_s`` either way
(never more than half the interval) without drifting from its average interval, so checks
added together drift apart rather than firing together for ever. A check that ran before a
restart keeps its phase: it is next due one interval after its last stored result.

Where probes run: with ``probes.workers`` (or, when it is not set, once ``AUTO_POOL_CHECKS``
checks are enabled) the due checks of a tick go as one batch to a pool of probe worker
processes (``collector.probes.pool``), which share ``max_concurrency`` between them and send
outcomes back in batches; storing them stays here. Otherwise, and for a probe function passed
in, probes run in this process as tasks waiting on the semaphore.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.engine.probe_results import CheckRun, record_runs
from collector.jobs.schedules import Schedules
from collector.probes.pool import ProbePool
from collector.probes.runner import CheckOutcome, ProbeFunction, ProbeRunner
from collector.runtime.metrics import Metrics
from collector.store import probe_results as probe_store
from collector.store.database import Database
from collector.store.probe_results import HostCheck

log = logging.getLogger(__name__)

TICK_S = 1.0
#: Checks added, changed or removed elsewhere (admin command, API) are picked up this often.
RELOAD_S = 30.0
PRUNE_S = 3600.0
BATCH_SIZE = 500
#: With ``probes.workers`` unset, worker processes start once this many checks are enabled:
#: below it probing takes a few percent of one core, not worth a process per CPU.
AUTO_POOL_CHECKS = 1000


@dataclass
class Planned:
    check: HostCheck
    due: datetime


def first_due(
    check: HostCheck, last_run: datetime | None, now: datetime, jitter_s: float, rng: random.Random
) -> datetime:
    """When a newly loaded check runs first; see the module docstring."""
    if last_run is not None:
        due = last_run + timedelta(seconds=check.interval_s)
        if due > now:
            return due
    return now + timedelta(seconds=rng.uniform(0.0, min(jitter_s, check.interval_s)))


def next_due(
    check: HostCheck, due: datetime, now: datetime, jitter_s: float, rng: random.Random
) -> datetime:
    """The run after the one due at ``due`` (started at ``now``)."""
    spread = min(jitter_s, check.interval_s / 2)
    following = due + timedelta(seconds=check.interval_s + rng.uniform(-spread, spread))
    if following <= now:  # fell a whole interval behind: skip, rather than run back to back
        following = now + timedelta(seconds=rng.uniform(0.0, min(jitter_s, check.interval_s)))
    return following


def _load(conn: Connection, first: bool) -> tuple[list[HostCheck], dict[int, datetime]]:
    """The enabled checks, and on the first load when each last ran (later reloads only meet
    checks that are new, or re-enabled and long overdue)."""
    last_runs = probe_store.last_run_at(conn) if first else {}
    return probe_store.all_enabled_checks(conn), last_runs


class ProbeScheduler:
    """Plans, runs and records remote checks; ``tick`` is the whole cycle, run by a job."""

    def __init__(
        self,
        db: Database,
        config: CollectorConfig,
        clock: Callable[[], datetime],
        metrics: Metrics,
        *,
        probe: ProbeFunction | None = None,
        rng: random.Random | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._db = db
        self._config = config
        self._settings = config.probes
        self._clock = clock
        self._metrics = metrics
        self._runner = ProbeRunner(http_limit=self._settings.max_concurrency)
        self._probe = probe or self._runner.run
        self._may_use_pool = probe is None
        self._pool: ProbePool | None = None
        # Checks handed to the pool: check id -> (when it was due, when it was handed over).
        self._handed: dict[int, tuple[datetime, datetime]] = {}
        self._pool_idle = asyncio.Event()
        self._rng = rng or random.Random()
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(self._settings.max_concurrency)
        self._plan: dict[int, Planned] = {}
        self._loaded_at: datetime | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._finished: list[CheckRun] = []
        self._flushing = asyncio.Lock()

    def install(self, schedules: Schedules) -> None:
        schedules.every(TICK_S, self.tick, "probes")
        schedules.every(PRUNE_S, self.prune, "probe-results-prune")

    def due_times(self) -> dict[int, datetime]:
        """Check id → when it next runs (for tests and the curious)."""
        return {check_id: planned.due for check_id, planned in self._plan.items()}

    async def tick(self) -> int:
        """Reload checks when due, start the due ones, store what finished; returns how many
        checks were started."""
        now = self._clock()
        if self._loaded_at is None or (now - self._loaded_at).total_seconds() >= RELOAD_S:
            await self.reload()
        due = self._take_due(now)
        if self._pool is not None:
            await self._hand_over(due, now)
        else:
            self._start_tasks(due)
        await self.flush()
        return len(due)

    async def reload(self) -> None:
        """Re-read the enabled checks: new ones are planned, gone ones dropped, changed ones
        keep their place."""
        checks, last_runs = await self._db.read(_load, self._loaded_at is None)
        now = self._clock()
        jitter_s = self._settings.jitter_s
        plan: dict[int, Planned] = {}
        for check in checks:
            known = self._plan.get(check.id)
            if known is not None and known.due <= now + timedelta(seconds=check.interval_s):
                plan[check.id] = Planned(check, known.due)
            else:
                due = first_due(check, last_runs.get(check.id), now, jitter_s, self._rng)
                plan[check.id] = Planned(check, due)
        self._plan = plan
        self._loaded_at = now
        self._choose_where_probes_run(len(checks))

    def _choose_where_probes_run(self, enabled: int) -> None:
        workers = self._settings.workers
        if workers is None:
            workers = (os.cpu_count() or 1) if enabled >= AUTO_POOL_CHECKS else 0
        if self._pool is None and workers > 0 and self._may_use_pool:
            log.info("probing with %d worker processes (%d checks enabled)", workers, enabled)
            self._pool = ProbePool(
                workers,
                self._delivered,
                max_concurrency=self._settings.max_concurrency,
                log_level=logging.getLevelName(logging.getLogger().getEffectiveLevel()),
            )

    def _take_due(self, now: datetime) -> list[tuple[HostCheck, datetime]]:
        """The checks due now (and not still running), each with its due time; plans the next."""
        due: list[tuple[HostCheck, datetime]] = []
        for check_id, planned in self._plan.items():
            if planned.due > now or check_id in self._in_flight or check_id in self._handed:
                continue
            due.append((planned.check, planned.due))
            planned.due = next_due(
                planned.check, planned.due, now, self._settings.jitter_s, self._rng
            )
        return due

    def _start_tasks(self, due: list[tuple[HostCheck, datetime]]) -> None:
        for check, due_at in due:
            task = asyncio.create_task(self._run(check, due_at))
            self._in_flight[check.id] = task
            task.add_done_callback(functools.partial(self._done, check.id))

    async def _hand_over(self, due: list[tuple[HostCheck, datetime]], now: datetime) -> None:
        if not due:
            return
        assert self._pool is not None
        for check, due_at in due:
            self._handed[check.id] = (due_at, now)
        self._pool_idle.clear()
        self._count_waiting()
        try:
            await self._pool.submit([check for check, _ in due])
        except OSError:
            # Workers that cannot start (a broken install, no memory) must not stop probing.
            log.exception("probe workers failed to start; probing in the collector process")
            pool, self._pool, self._may_use_pool = self._pool, None, False
            for check, _ in due:
                self._handed.pop(check.id, None)
            self._pool_idle.set()
            await pool.close()
            self._start_tasks(due)

    def _delivered(self, check: HostCheck, outcome: CheckOutcome, waited_s: float) -> None:
        """An outcome back from a worker; ``waited_s`` is its wait there for a free slot."""
        entry = self._handed.pop(check.id, None)
        if entry is None:
            return
        due_at, handed_at = entry
        started = handed_at + timedelta(seconds=waited_s)
        self._metrics.probe_scheduler_lag.observe(max(0.0, (started - due_at).total_seconds()))
        self._count(check, outcome)
        self._finished.append(CheckRun(check, outcome, started))
        self._count_waiting()
        if not self._handed:
            self._pool_idle.set()

    def _count_waiting(self) -> None:
        waiting = max(len(self._handed) - self._settings.max_concurrency, 0)
        self._metrics.probe_checks_waiting.set(waiting)

    def _done(self, check_id: int, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(check_id, None)
        if not task.cancelled() and task.exception() is not None:
            # Only an injected probe function can get here: ProbeRunner.run never raises.
            log.error("check %d failed to run", check_id, exc_info=task.exception())

    async def _run(self, check: HostCheck, due: datetime) -> None:
        self._metrics.probe_checks_waiting.inc()
        try:
            await self._slots.acquire()
        finally:
            self._metrics.probe_checks_waiting.dec()
        try:
            started = self._clock()
            self._metrics.probe_scheduler_lag.observe(max(0.0, (started - due).total_seconds()))
            outcome = await self._probe(check)
        finally:
            self._slots.release()
        self._count(check, outcome)
        self._finished.append(CheckRun(check, outcome, started))

    def _count(self, check: HostCheck, outcome: CheckOutcome) -> None:
        self._metrics.probe_checks_run.labels(kind=check.kind).inc()
        if str(outcome.verdict) != "ok":
            self._metrics.probe_failures.labels(kind=check.kind).inc()
        if outcome.latency_ms is not None:
            self._metrics.probe_latency.labels(kind=check.kind).observe(outcome.latency_ms / 1000)

    async def flush(self) -> int:
        """Store finished runs in batches; returns how many were stored.

        A batch the database refuses is logged and dropped: the next run of each check brings
        fresh news, and holding results would grow without bound while the database is away.
        """
        stored = 0
        async with self._flushing:
            while self._finished:
                batch = self._finished[: self._batch_size]
                del self._finished[: self._batch_size]
                try:
                    stored += await self._db.write(record_runs, self._config, batch, self._clock())
                except Exception:  # one boundary per batch; the scheduler carries on
                    log.exception("storing %d probe results failed", len(batch))
        return stored

    async def drain(self) -> int:
        """Wait for the checks under way, then store everything; returns how many were stored."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        if self._handed:
            await self._pool_idle.wait()
        return await self.flush()

    async def prune(self) -> int:
        days = self._settings.results_retention_days
        return await self._db.write(probe_store.prune_results, self._clock(), days)

    async def stop(self) -> None:
        """Cancel probes under way (their runs are not stored), stop the probe workers, store
        the finished ones."""
        for task in list(self._in_flight.values()):
            task.cancel()
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        if self._pool is not None:
            await self._pool.close()
            self._handed.clear()
        await self.flush()
        await self._runner.close()
