"""Recurring work on apscheduler: each job is an async callable run at an interval.

A job never overlaps itself (``max_instances=1``) and a late run is coalesced rather than
replayed, so a stalled database cannot build up a backlog of sweeps.

A job that something can wake (``every_or_when``: the outbox sender, woken by mail committed
in this process) runs in a loop of its own instead: at once when woken, else at its interval,
never overlapping itself; a wake during a run makes one more run after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import Counter

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
Run = Callable[[], Awaitable[None]]


class Schedules:
    def __init__(self, runs: Counter | None = None) -> None:
        """``runs``, labelled by job, counts the runs started."""
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: set[asyncio.Task[object]] = set()
        self._runs = runs
        self._wakeable: list[tuple[float, asyncio.Event, Run, str]] = []
        self._loops: list[asyncio.Task[None]] = []

    def every(self, seconds: float, job: Job, name: str, jitter_s: float | None = None) -> None:
        self._scheduler.add_job(
            self._guarded(job, name),
            "interval",
            seconds=seconds,
            id=name,
            name=name,
            jitter=jitter_s,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(seconds)),
        )

    def every_or_when(self, seconds: float, woken: asyncio.Event, job: Job, name: str) -> None:
        """Run ``job`` whenever ``woken`` is set, and at least every ``seconds`` (for what no
        wake announces: retries falling due, another process's work)."""
        self._wakeable.append((seconds, woken, self._guarded(job, name), name))

    def _guarded(self, job: Job, name: str) -> Run:
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            if self._runs is not None:
                self._runs.labels(job=name).inc()
            try:
                await job()
            except Exception:  # one boundary per job: a failing run is logged, the next runs
                log.exception("scheduled job %s failed", name)
            finally:
                self._running.discard(task)

        return run

    def start(self) -> None:
        self._scheduler.start()
        for seconds, woken, run, name in self._wakeable:
            loop = asyncio.create_task(self._wake_loop(seconds, woken, run), name=name)
            self._loops.append(loop)

    async def shutdown(self) -> None:
        """Stop scheduling, then let runs already under way finish (a sweep half done would
        otherwise be cancelled mid-transaction and logged as a failure)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        loops, self._loops = self._loops, []
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _wake_loop(self, seconds: float, woken: asyncio.Event, run: Run) -> None:
        """Wait to be woken or for ``seconds``, then run; again and again. Cancelling the loop
        leaves a run under way to finish: ``shutdown`` waits for it among the others."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), seconds)
            woken.clear()  # before the run: whatever is committed during it wakes the next
            task = asyncio.ensure_future(run())
            self._running.add(task)
            await asyncio.shield(task)
