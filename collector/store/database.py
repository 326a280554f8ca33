"""Runs blocking SQLAlchemy work off the event loop.

Writes go through one thread so SQLite never contends with itself for its write lock; reads
use a small pool. Each call is one transaction: committed when the function returns.

A write may leave a note on its connection (``note``), such as "mail queued": once its
transaction has committed, the listeners registered for that note (``on_commit``) are called
on the event loop. That is how the outbox sender hears of new mail at once rather than at its
next look; work committed by another process is not heard of, and is found by looking.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine

P = ParamSpec("P")
T = TypeVar("T")

#: Where a transaction's notes wait on its connection until it ends.
_NOTES = "faultdesk.notes"


def note(conn: Connection, topic: str) -> None:
    """Say that the transaction on ``conn`` did what ``topic`` names: once it commits (not
    if it rolls back), the ``Database``'s listeners for ``topic`` are called."""
    conn.info.setdefault(_NOTES, set()).add(topic)


class Database:
    def __init__(self, engine: Engine, read_threads: int = 4) -> None:
        self.engine = engine
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="db-write")
        self._readers = ThreadPoolExecutor(read_threads, thread_name_prefix="db-read")
        self._writer_conn: Connection | None = None  # SQLite: see _write_transaction
        self._listeners: dict[str, list[Callable[[], None]]] = {}

    def on_commit(self, topic: str, listener: Callable[[], None]) -> None:
        """Call ``listener`` on the event loop after each ``write`` that noted ``topic``."""
        self._listeners.setdefault(topic, []).append(listener)

    async def write(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, ...)`` in a transaction on the writer thread."""
        result, notes = await asyncio.get_running_loop().run_in_executor(
            self._writer, lambda: self._write_transaction(fn, *args, **kwargs)
        )
        for topic in notes:
            for listener in self._listeners.get(topic, ()):
                listener()
        return result

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._readers, lambda: self.transaction(fn, *args, **kwargs)
        )

    def transaction(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, ...)`` in a transaction in the caller's thread; no listener is told
        (they belong to the event loop, which this thread may not be)."""
        return self._transaction(fn, *args, **kwargs)[0]

    def _transaction(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> tuple[T, set[str]]:
        with self.engine.begin() as conn:
            return _noted(conn, fn, *args, **kwargs)

    def _write_transaction(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> tuple[T, set[str]]:
        """The result and the notes of a committed transaction (a failed commit raises).

        On SQLite the writer keeps one connection for good: a SQLite connection's page cache
        survives its own commits but is emptied when another connection has written since,
        so writes that took turns on the pool's connections would read every page afresh;
        and checking a connection out costs time too.
        """
        if self.engine.dialect.name != "sqlite":
            return self._transaction(fn, *args, **kwargs)
        conn = self._writer_conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._writer_conn = self.engine.connect()
        with conn.begin():
            return _noted(conn, fn, *args, **kwargs)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        if self._writer_conn is not None:
            self._writer_conn.close()
        self.engine.dispose()


def _noted(
    conn: Connection,
    fn: Callable[Concatenate[Connection, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> tuple[T, set[str]]:
    """``fn``'s result and the notes it left; notes a failed transaction left on the
    connection (which the pool keeps) are dropped first."""
    conn.info.pop(_NOTES, None)
    result = fn(conn, *args, **kwargs)
    notes: set[str] = conn.info.pop(_NOTES, set())
    return result, notes
