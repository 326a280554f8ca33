"""Drives the fault engine: evaluates newly stored reports and sweeps for silent agents.

Reports are evaluated after they are committed, in arrival order, by one task; a crash
between the two leaves them unprocessed, and the next start picks them up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from collector import pipeline
from collector.config import CollectorConfig
from collector.database import Database

log = logging.getLogger(__name__)


class Monitor:
    def __init__(
        self, db: Database, config: CollectorConfig, clock: Callable[[], datetime]
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New reports were committed: evaluate them soon."""
        self._wakeup.set()

    def start(self) -> None:
        self._wakeup.set()  # anything left unprocessed by a previous run
        self._task = asyncio.create_task(self._run(), name="monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            try:
                while await self.process_pending():
                    pass
            except Exception:  # keep evaluating later reports; this batch stays pending
                log.exception("evaluating reports failed")
                await asyncio.sleep(1)
                self._wakeup.set()

    async def process_pending(self) -> int:
        """Evaluate one batch of unprocessed reports; returns how many there were."""
        return await self._db.write(pipeline.process_reports, self._config, self._clock())

    async def sweep(self) -> None:
        """Look for agents that went silent and faults that need a reminder."""
        await self._db.write(pipeline.sweep, self._config, self._clock())
