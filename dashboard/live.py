"""Live operator pages: a server-sent event whenever what operators see has changed.

Every operator page carries a *change marker* (``data-live-marker`` on ``<body>``): the newest
fault event, incident event, page and maintenance window, how many windows were ended, and how
much mail is still waiting. ``static/live.js`` opens ``GET /live?since=<marker>``; the stream
sends ``change`` at once if the marker has moved since the page was made, and again whenever it
moves, and the page fetches itself again and swaps its content in.

Why a marker polled from the database rather than notifications from the writers: faults are
written by ingest, the sweeps, the probe pipeline and operators, possibly in other collector
processes sharing the database. One cheap query every ``POLL_S``, shared by every open stream
(one watcher per application, running only while someone watches), sees them all. A host's
``last_seen`` is deliberately not in the marker: it moves with every report, and a host that
stops reporting becomes a fault, which is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import Connection, func, select

from collector.store.database import Database
from collector.store.schema import fault_events, incident_events, maintenance_windows, outbox
from collector.store.schema import pages as page_table
from collector.web.access import Access, mark
from collector.web.appkeys import DATABASE
from dashboard.sessions import current_account, current_operator

log = logging.getLogger(__name__)

#: Seconds between two readings of the marker while a page is watching.
POLL_S = 2.0
#: Seconds between keep-alive comments, so proxies and browsers keep an idle stream open.
KEEPALIVE_S = 15.0


def change_marker(conn: Connection) -> str:
    """What operators see, summed up in a string that changes whenever it does."""
    row = conn.execute(
        select(
            select(func.max(fault_events.c.id)).scalar_subquery(),
            select(func.max(incident_events.c.id)).scalar_subquery(),
            select(func.max(page_table.c.id)).scalar_subquery(),
            select(func.max(maintenance_windows.c.id)).scalar_subquery(),
            select(func.count())
            .where(maintenance_windows.c.ended_at.is_not(None))
            .scalar_subquery(),
            select(func.count()).where(outbox.c.status == "pending").scalar_subquery(),
        )
    ).one()
    return "-".join(str(value or 0) for value in row)


class ChangeWatcher:
    """Reads the marker while anyone watches and wakes every watcher when it moves."""

    def __init__(self, db: Database, poll_s: float = POLL_S) -> None:
        self._db = db
        self._poll_s = poll_s
        self._changed = asyncio.Condition()
        self._marker: str | None = None
        self._watchers = 0
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    async def marker(self) -> str:
        return await self._db.read(change_marker)

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        self._watchers += 1
        if self._task is None:
            self._task = asyncio.create_task(self._poll(), name="dashboard-live")
        try:
            yield
        finally:
            self._watchers -= 1
            if self._watchers == 0 and self._task is not None:
                self._task.cancel()
                self._task = None

    async def next_marker(self, after: str, timeout_s: float) -> str | None:
        """The marker once it differs from ``after``; None after ``timeout_s`` or on close."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(
                        lambda: self._closed or (self._marker not in (None, after))
                    ),
                    timeout_s,
                )
            if self._closed or self._marker in (None, after):
                return None
            return self._marker

    async def close(self) -> None:
        """Stop watching and end every stream (the application is shutting down)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            self._task = None
        async with self._changed:
            self._changed.notify_all()

    async def _poll(self) -> None:
        while True:
            try:
                marker = await self.marker()
            except Exception:  # a database hiccup must not end the live view for good
                log.exception("dashboard live view: reading the change marker failed")
            else:
                if marker != self._marker:
                    async with self._changed:
                        self._marker = marker
                        self._changed.notify_all()
            await asyncio.sleep(self._poll_s)


LIVE = web.AppKey("live", ChangeWatcher)


def setup(app: web.Application) -> None:
    app[LIVE] = ChangeWatcher(app[DATABASE])

    async def close(app: web.Application) -> None:
        await app[LIVE].close()

    app.on_shutdown.append(close)
    app.router.add_get("/live", mark(live_events, Access.OPERATOR))


async def live_events(request: web.Request) -> web.StreamResponse:
    """``text/event-stream`` of ``change`` events for the operator's open page."""
    account = await current_account(request)
    if account is not None and account.kind != "operator":
        raise web.HTTPNotFound()  # every customer's changes move the marker: operators only
    if await current_operator(request) is None:
        raise web.HTTPUnauthorized(text="log in to follow the dashboard live\n")
    watcher = request.app[LIVE]
    since = request.query.get("since", "")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # a fronting nginx must not buffer the stream
        }
    )
    await response.prepare(request)
    try:
        await response.write(b"retry: 5000\n\n")
        current = await watcher.marker()
        if current != since:
            await response.write(_event(current))
        async with watcher.watching():
            while not watcher.closed:
                moved = await watcher.next_marker(current, KEEPALIVE_S)
                if moved is None:
                    await response.write(b": keep-alive\n\n")
                    continue
                current = moved
                await response.write(_event(current))
    except ConnectionResetError:
        pass  # the page was closed or left: nothing to tell anyone
    return response


def _event(marker: str) -> bytes:
    return f"event: change\ndata: {marker}\n\n".encode()
