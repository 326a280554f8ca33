"""The trap receiver as a service of the collector: socket, known hosts, inbox, refreshed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from collector.runtime.metrics import Metrics
from collector.snmp.datagram_batches import DatagramBatches
from collector.snmp.inbox import TrapInbox
from collector.snmp.receiver import Directory, DropLog, TrapReceiver, listen
from collector.store import snmp as snmp_store
from collector.store.database import Database

log = logging.getLogger(__name__)

#: Hosts added or changed elsewhere (the CLI, the API, another collector) are known this soon.
REFRESH_S = 10.0


class TrapService:
    def __init__(
        self,
        db: Database,
        address: tuple[str, int],
        metrics: Metrics,
        clock: Callable[[], datetime],
        *,
        refresh_s: float = REFRESH_S,
    ) -> None:
        self._db = db
        self._address = address
        self._refresh_s = refresh_s
        self.inbox = TrapInbox(db, clock)
        drops = DropLog(metrics, time.monotonic)
        self.receiver = TrapReceiver(Directory({}), self.inbox.add, metrics, drops)
        self._socket: DatagramBatches | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def bound(self) -> tuple[str, int]:
        """The address actually bound (the port, when 0 was asked for)."""
        assert self._socket is not None
        host, port = self._socket.sockname[:2]
        return str(host), int(port)

    async def start(self) -> None:
        await self.refresh()
        self._socket = listen(*self._address, self.receiver)
        self.inbox.start()
        self._task = asyncio.create_task(self._refreshing(), name="snmp-refresh")
        log.info("receiving SNMP traps on %s:%d", *self.bound)

    async def refresh(self) -> None:
        self.receiver.refresh(await self._db.read(snmp_store.all_agents))

    async def _refreshing(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await self.refresh()
            except Exception:  # the database is away: keep the hosts known so far
                log.exception("reloading SNMP hosts failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._socket is not None:
            self._socket.close()
        await self.inbox.stop()
