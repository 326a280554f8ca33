"""Which collector runs the schedules: one at a time per database.

Ingest, the API and the dashboard run in every collector; the schedules (heartbeat, SLA and
paging sweeps, the outbox sender, remote checks) run in one, the leader, or every customer host
would be probed and every on-call engineer paged once per collector.

On PostgreSQL the leader is whoever holds a session-level advisory lock, taken with
``pg_try_advisory_lock`` on a connection of its own and held for as long as that connection
lives. Followers try again every ``retry_s``. When the leader stops, crashes or loses that
connection, PostgreSQL ends the session and releases the lock, and a follower takes it at its
next try. The leader waits on the lock connection's socket, so a connection the server closes
(``pg_terminate_backend``, a restart) is noticed at once, and sends a query every ``retry_s``
for a network that goes quiet; either way it stops its schedules first and asks again later,
as a follower: once its session has gone it cannot know that it still leads.

SQLite is one collector process by design: that process always leads.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import Engine

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

#: What the lock stands for; the key is derived from it and the schema (see ``lock_key``).
LOCK_NAME = "faultdesk.schedules"
#: Shown in ``pg_stat_activity``, so a DBA can tell which collector leads.
APPLICATION_NAME = "faultdesk-collector leader lock"


def lock_key(name: str, schema: str) -> int:
    """The advisory lock key (signed 64 bits) for ``name`` in ``schema``.

    Advisory locks are per database; the schema is in the key so that installations in
    different schemas of one database (test runs among them) elect their leaders apart.
    """
    digest = hashlib.sha256(f"{name}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leadership:
    """Starts the duties (``on_gain``) when this collector becomes leader and stops them
    (``on_lose``) when it stops being one. This base class is the SQLite case: always leader
    from ``start`` to ``stop``."""

    def __init__(self, on_gain: Callable[[], None], on_lose: Callable[[], Awaitable[None]]) -> None:
        self._on_gain = on_gain
        self._on_lose = on_lose
        self._leading = False
        self._resigning: asyncio.Future[None] | None = None

    @property
    def is_leader(self) -> bool:
        return self._leading

    async def start(self) -> None:
        self._lead("the only collector on this database")

    async def stop(self) -> None:
        await self._resign("collector stopping", logging.INFO)

    def _lead(self, why: str) -> None:
        self._leading = True
        log.info("leader: running the schedules (%s)", why)
        self._on_gain()

    async def _resign(self, why: str, level: int = logging.WARNING) -> None:
        """Stop the duties; a resignation under way is waited for, not started again (the
        duties run to their end even if the caller is cancelled)."""
        if self._leading:
            self._leading = False
            log.log(level, "no longer the leader: stopping the schedules (%s)", why)
            self._resigning = asyncio.ensure_future(self._on_lose())
        if self._resigning is not None:
            await asyncio.shield(self._resigning)
            self._resigning = None


class AdvisoryLockLeadership(Leadership):
    """PostgreSQL: leader while holding the advisory lock; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        retry_s: float,
        on_gain: Callable[[], None],
        on_lose: Callable[[], Awaitable[None]],
        *,
        name: str = LOCK_NAME,
    ) -> None:
        super().__init__(on_gain, on_lose)
        self._connect_args = _connect_args(engine, retry_s)
        self._retry_s = retry_s
        self._name = name
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._key: int | None = None
        self._failing = False  # the last attempt could not reach the database (logged once)
        self._task: asyncio.Task[None] | None = None
        self._query: asyncio.Future[Any] | None = None  # the leader's last SELECT 1

    @property
    def key(self) -> int | None:
        """The lock key, once a connection has told which schema it is in."""
        return self._key

    @property
    def backend_pid(self) -> int | None:
        """The server process of the lock connection, as ``pg_stat_activity`` shows it."""
        return self._conn.info.backend_pid if self._conn is not None else None

    async def start(self) -> None:
        """Try once now, so a collector knows where it stands when it starts serving; then
        keep trying (or watching) in the background."""
        await self._step()
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        """Stop the duties first, then close the lock connection: the next leader must not
        start while runs here are still finishing."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await super().stop()
        await self._close()

    async def _run(self) -> None:
        while True:
            if not self._leading:
                await asyncio.sleep(self._retry_s)
            await self._step()

    async def _step(self) -> None:
        """A follower tries for the lock; the leader watches its connection. One boundary:
        whatever goes wrong, a leader stops its duties and both start again as followers."""
        try:
            if self._leading:
                await self._watch()
            elif await self._try_lock():
                self._lead(f"advisory lock {self._key}, backend pid {self.backend_pid}")
            self._failing = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._broken(exc)

    async def _try_lock(self) -> bool:
        conn = await self._connection()
        cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def _watch(self) -> None:
        """Return after ``retry_s`` if the lock connection is still sound; raise if not."""
        conn = self._conn
        if conn is None:
            raise ConnectionError("the lock connection is gone")
        # Nothing LISTENs here: waiting for notifications only waits on the socket, which
        # turns readable, and the wait raises, the moment the server ends the session.
        async for _ in conn.notifies(timeout=self._retry_s):
            pass
        # A network gone quiet shows nothing on the socket: ask, and give up if no answer.
        # Not wait_for: cancelling the query makes psycopg send the server a cancel request,
        # over the same quiet network, and wait up to 10 s for it while this collector still
        # runs the schedules. The unanswered query is left to ``_close``, after the step-down.
        self._query = asyncio.ensure_future(conn.execute("SELECT 1"))
        await asyncio.wait({self._query}, timeout=self._retry_s)
        if not self._query.done():
            raise TimeoutError(f"no answer to SELECT 1 in {self._retry_s:g}s")
        query, self._query = self._query, None
        query.result()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        import psycopg

        self._conn = await asyncio.wait_for(
            psycopg.AsyncConnection.connect(autocommit=True, **self._connect_args),
            self._retry_s + 10,
        )
        cursor = await self._conn.execute("SELECT current_schema()")
        row = await cursor.fetchone()
        self._key = lock_key(self._name, str(row[0] if row else ""))
        return self._conn

    async def _broken(self, exc: Exception) -> None:
        # libpq's messages run on over several lines; the first says what happened.
        reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        if self._leading:
            await self._resign(f"lock connection failed: {reason}")
        elif not self._failing:
            log.warning(
                "leader election: cannot reach the database (%s); trying every %gs",
                reason,
                self._retry_s,
            )
        self._failing = True
        await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            try:
                await conn.close()
            except Exception:  # closing a broken connection: nothing more to do
                log.debug("closing the lock connection failed", exc_info=True)
        query, self._query = self._query, None
        if query is not None:
            # Its connection is closed now, so cancelling it sends no cancel request.
            query.cancel()
            await asyncio.gather(query, return_exceptions=True)


def _connect_args(engine: Engine, retry_s: float) -> dict[str, Any]:
    """psycopg's own connection arguments for the engine's URL (the same server, database,
    user and options, search_path included)."""
    _args, connect_kwargs = engine.dialect.create_connect_args(engine.url)
    kwargs = dict(connect_kwargs)
    kwargs.pop("context", None)  # SQLAlchemy's type adapters; not wanted on this connection
    kwargs.setdefault("application_name", APPLICATION_NAME)
    kwargs.setdefault("connect_timeout", max(2, round(retry_s)))
    return kwargs


#: The app's leadership, for /readyz and /metrics.
LEADERSHIP = web.AppKey("leadership", Leadership)


def elect(
    engine: Engine,
    retry_s: float,
    on_gain: Callable[[], None],
    on_lose: Callable[[], Awaitable[None]],
) -> Leadership:
    """The leadership for this engine's database: a lock on PostgreSQL, always on SQLite."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLockLeadership(engine, retry_s, on_gain, on_lose)
    return Leadership(on_gain, on_lose)
