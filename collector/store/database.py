"""Runs blocking SQLAlchemy work off the event loop.

Writes go through one thread so SQLite never contends with itself for its write lock; reads
use a small pool. Each call is one transaction: committed when the function returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    def __init__(self, engine: Engine, read_threads: int = 4) -> None:
        self.engine = engine
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="db-write")
        self._readers = ThreadPoolExecutor(read_threads, thread_name_prefix="db-read")
        self._writer_conn: Connection | None = None  # SQLite: see _write_transaction

    async def write(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, ...)`` in a transaction on the writer thread."""
        return await asyncio.get_running_loop().run_in_executor(
            self._writer, lambda: self._write_transaction(fn, *args, **kwargs)
        )

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._readers, lambda: self.transaction(fn, *args, **kwargs)
        )

    def transaction(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with self.engine.begin() as conn:
            return fn(conn, *args, **kwargs)

    def _write_transaction(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """On SQLite the writer keeps one connection for good.

        A SQLite connection's page cache survives its own commits but is emptied when another
        connection has written since, so writes that took turns on the pool's connections
        would read every page afresh; and checking a connection out costs time too.
        """
        if self.engine.dialect.name != "sqlite":
            return self.transaction(fn, *args, **kwargs)
        conn = self._writer_conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._writer_conn = self.engine.connect()
        with conn.begin():
            return fn(conn, *args, **kwargs)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        if self._writer_conn is not None:
            self._writer_conn.close()
        self.engine.dispose()
