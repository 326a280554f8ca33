"""Accepting reports: signing keys cached in memory, writes grouped into shared commits.

Group commit is what lets one SQLite file keep up with a fleet: every report waiting when a
transaction starts is written by that transaction, and each sender is answered only after
the commit that holds its report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from collector.store import inventory
from collector.store.database import Database
from collector.store.reports import IncomingReport, store_reports

log = logging.getLogger(__name__)


class HostKeys:
    """Signing keys by host id, cached in memory.

    The cache reloads (at most every ``min_reload_interval_s``) when a host is unknown or its
    signature fails, so a host or key added by another process works within seconds, and at
    least every ``max_age_s`` so a key rotated elsewhere stops working.
    """

    def __init__(
        self, db: Database, min_reload_interval_s: float = 2.0, max_age_s: float = 30.0
    ) -> None:
        self._db = db
        self._keys: dict[str, bytes] = {}
        self._loaded_at = float("-inf")
        self._min_interval = min_reload_interval_s
        self._max_age = max_age_s
        self._lock = asyncio.Lock()

    async def get(self, host_id: str, *, stale: bool = False) -> bytes | None:
        """The host's key; ``stale`` says the cached one just failed, so look again."""
        age = time.monotonic() - self._loaded_at
        wanted = stale or host_id not in self._keys
        if age >= self._max_age or (wanted and age >= self._min_interval):
            await self.reload(unless_since=self._loaded_at)
        return self._keys.get(host_id)

    async def reload(self, *, unless_since: float | None = None) -> None:
        """Read the keys again; not if they were read since ``unless_since`` (a burst of
        requests that all found the cache old waits for one reload, not one each)."""
        async with self._lock:
            if unless_since is not None and self._loaded_at > unless_since:
                return
            self._keys = await self._db.read(inventory.host_keys)
            self._loaded_at = time.monotonic()

    def forget(self) -> None:
        """Drop the cache: the next lookup reads the database (after a key was rotated)."""
        self._loaded_at = float("-inf")
        self._keys = {}


class ReportWriter:
    """Queues reports and commits them in batches on the database's writer thread; tells
    ``on_committed`` which were new after each commit."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        on_committed: Callable[[Sequence[IncomingReport]], None] = lambda new: None,
        max_batch: int = 500,
        max_queue: int = 5000,
    ) -> None:
        self._db = db
        self._clock = clock
        self._on_committed = on_committed
        self._max_batch = max_batch
        self.max_queue = max_queue
        self._queue: asyncio.Queue[tuple[IncomingReport, asyncio.Future[bool]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="report-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def submit(self, report: IncomingReport) -> bool:
        """Store the report; True when new, False when that seq was stored before."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._queue.put((report, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await self._let_arrivals_join()
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)

    async def _let_arrivals_join(self, turns: int = 3) -> None:
        """Give the event loop a turn or few before committing, while reports keep coming.

        Requests already received reach the queue within a turn or two; taking them into
        this commit costs them nothing, and larger commits cost less per report (fewer
        commits, fewer thread hand-overs). No clock is involved: an idle collector commits
        a lone report at once.
        """
        for _ in range(turns):
            queued = self._queue.qsize()
            await asyncio.sleep(0)
            if self._queue.qsize() == queued:
                return

    async def _commit(self, batch: list[tuple[IncomingReport, asyncio.Future[bool]]]) -> None:
        try:
            outcome = await self._db.write(store_reports, [r for r, _ in batch], self._clock())
        except Exception as exc:  # the batch fails as one; every sender hears about it
            log.exception("storing %d reports failed", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), new in zip(batch, outcome, strict=True):
            if not future.done():
                future.set_result(new)
        self._on_committed([report for (report, _), new in zip(batch, outcome, strict=True) if new])
