"""Recurring work on apscheduler: each job is an async callable run at an interval.

A job never overlaps itself (``max_instances=1``) and a late run is coalesced rather than
replayed, so a stalled database cannot build up a backlog of sweeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import Counter

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class Schedules:
    def __init__(self, runs: Counter | None = None) -> None:
        """``runs``, labelled by job, counts the runs started."""
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: set[asyncio.Task[object]] = set()
        self._runs = runs

    def every(self, seconds: float, job: Job, name: str, jitter_s: float | None = None) -> None:
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

        self._scheduler.add_job(
            run,
            "interval",
            seconds=seconds,
            id=name,
            name=name,
            jitter=jitter_s,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(seconds)),
        )

    def start(self) -> None:
        self._scheduler.start()

    async def shutdown(self) -> None:
        """Stop scheduling, then let runs already under way finish (a sweep half done would
        otherwise be cancelled mid-transaction and logged as a failure)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
