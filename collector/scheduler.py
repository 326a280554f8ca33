"""Recurring work on apscheduler: each job is an async callable run at an interval.

A job never overlaps itself (``max_instances=1``) and a late run is coalesced rather than
replayed, so a stalled database cannot build up a backlog of sweeps.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class Schedules:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def every(self, seconds: float, job: Job, name: str, jitter_s: float | None = None) -> None:
        async def run() -> None:
            try:
                await job()
            except Exception:  # one boundary per job: a failing run is logged, the next runs
                log.exception("scheduled job %s failed", name)

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

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
