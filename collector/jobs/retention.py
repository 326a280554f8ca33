"""The leader's pruning: raw reports after their retention, figures after theirs.

Each batch is its own short transaction on the writer thread, with a turn of the event loop
between batches, so ingest's commits (which share that thread) wait for one batch at most,
never for a whole pruning run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from collector.config.settings import HistorySettings
from collector.store import reports as report_store
from collector.store import series as series_store
from collector.store.database import Database

log = logging.getLogger(__name__)


class Retention:
    def __init__(
        self, db: Database, settings: HistorySettings, clock: Callable[[], datetime]
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock

    async def prune(self) -> tuple[int, int]:
        """One pruning run; returns (reports deleted, samples and buckets deleted)."""
        reports = await self.prune_reports()
        samples = await self.prune_series()
        if reports or samples:
            log.info("pruned %d reports and %d samples", reports, samples)
        return reports, samples

    async def prune_reports(self) -> int:
        before = self._clock() - timedelta(days=self._settings.reports_retention_days)
        most, deleted = self._settings.prune_batch, 0
        while True:
            done = await self._db.write(report_store.prune_reports, before, most)
            deleted += done
            if done < most:
                return deleted
            await asyncio.sleep(0)

    async def prune_series(self) -> int:
        """Walk the series in batches; each batch loses what is older than each resolution
        keeps, and any series left with nothing at all."""
        now = self._clock().timestamp()
        s = self._settings
        horizons = (
            (series_store.RAW, now - s.raw_retention_hours * 3600),
            (series_store.FIVE_MINUTES, now - s.five_minute_retention_days * 86400),
            (series_store.HOURLY, now - s.hourly_retention_days * 86400),
        )
        deleted, after = 0, 0
        while batch := await self._db.read(series_store.series_after, after, s.prune_batch):
            for resolution, horizon in horizons:
                deleted += await self._db.write(
                    series_store.prune, resolution.table, batch, int(horizon)
                )
            await self._db.write(series_store.drop_empty_series, batch)
            after = batch[-1]
            await asyncio.sleep(0)
        return deleted
