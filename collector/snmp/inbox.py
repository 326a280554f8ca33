"""Accepted traps, gathered for a moment and written in one transaction.

Every collector receives traps (a load balancer, or several trap destinations on the PBX, may
send to any); the elected leader turns them into faults (``collector.jobs.snmp_duty``). The
table between them is the hand-over. Identical traps from one host gathered in one flush (a
storm) are one row with a count, so 10,000 traps are a few rows and one fault; the row has
the time and the place in the flush of the last of them, so the latest trap still decides.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from collector.snmp.notifications import Notification
from collector.store import snmp as snmp_store
from collector.store.database import Database
from collector.store.snmp import ReceivedTrap, SnmpAgent

log = logging.getLogger(__name__)

#: A flush never holds more than this many distinct traps; past it, new ones are dropped.
MAX_PENDING = 50_000


class TrapInbox:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        *,
        linger_s: float = 0.2,
        on_stored: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._linger_s = linger_s
        self._on_stored = on_stored
        self._pending: dict[tuple[str, str, tuple[tuple[str, Any], ...]], ReceivedTrap] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.overflowed = 0

    def add(self, agent: SnmpAgent, notification: Notification) -> None:
        # Values are plain ints and strings (``notifications.plain``): hashable as they are.
        key = (agent.host_id, notification.oid, tuple(sorted(notification.varbinds.items())))
        known = self._pending.pop(key, None)
        if known is not None:
            # Dated and placed as its latest repeat: after A, B, A the host is at A's level.
            self._pending[key] = ReceivedTrap(
                known.host_id, self._clock(), known.notification, known.varbinds,
                known.count + 1,
            )  # fmt: skip
        elif len(self._pending) < MAX_PENDING:
            self._pending[key] = ReceivedTrap(
                agent.host_id, self._clock(), notification.oid, dict(notification.varbinds)
            )
        else:
            self.overflowed += 1
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="snmp-inbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()

    async def flush(self) -> int:
        if not self._pending:
            return 0
        batch = sorted(self._pending.values(), key=lambda trap: trap.received_at)
        self._pending = {}
        stored: int = await self._db.write(snmp_store.add_traps, batch)
        self._on_stored()
        return stored

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            await asyncio.sleep(self._linger_s)
            self._wakeup.clear()
            try:
                await self.flush()
            except Exception:  # the database is away: these traps are lost, the next ones not
                log.exception("storing received SNMP traps failed")
