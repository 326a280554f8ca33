"""A loopback TCP proxy that can go silent: a network partition without touching the server.

Listens on 127.0.0.1 (a free port) and forwards every connection to a target (PostgreSQL at
127.0.0.1:5432 by default). ``silence`` stops forwarding bytes both ways while every socket
stays open, as a dead switch or a dropped route does: neither end sees a close or an error,
only quiet. ``resume`` lets the bytes held meanwhile through. Connections made while silent are
accepted and held silent too.

It runs its own event loop in a thread of its own: the process under test may block its loop
(migrations run synchronously at start-up) and must still reach the server meanwhile.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class TcpProxy:
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self._target = (target_host, target_port)
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="tcp-proxy", daemon=True
        )
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._upstream_ports: set[int] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "the proxy is not listening"
        return int(self._server.sockets[0].getsockname()[1])

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def upstream_ports(self) -> list[int]:
        """Local ports of the proxy's connections to the target: the ``client_port`` that
        ``pg_stat_activity`` shows for the sessions that came through this proxy."""
        return self._call(self._ports())

    def silence(self) -> None:
        """Stop forwarding; in effect when this returns."""
        self._call(self._set_flowing(False))

    def resume(self) -> None:
        self._call(self._set_flowing(True))

    def close(self) -> None:
        """Stop listening, close every connection (both ends see it closed), end the thread."""
        try:
            self._call(self._close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the proxy's loop: its state is only touched from there."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _ports(self) -> list[int]:
        return sorted(self._upstream_ports)

    async def _set_flowing(self, flowing: bool) -> None:
        if flowing:
            self._flowing.set()
        else:
            self._flowing.clear()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._writers.add(client_w)
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self._target)
        except OSError:
            client_w.close()
            return
        self._writers.add(upstream_w)
        self._upstream_ports.add(int(upstream_w.get_extra_info("sockname")[1]))
        for reader, writer in ((client_r, upstream_w), (upstream_r, client_w)):
            task = asyncio.create_task(self._pump(reader, writer, client_w, upstream_w))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *ends: asyncio.StreamWriter,
    ) -> None:
        try:
            while True:
                # While silent nothing is read either: the bytes wait in the kernel's buffers,
                # and a peer that closes is not told to the other side until resumed.
                await self._flowing.wait()
                data = await reader.read(65536)
                await self._flowing.wait()
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # One side has gone: close both, as the network would carry the close across.
            for end in ends:
                end.close()
                self._writers.discard(end)


@contextmanager
def tcp_proxy(target_host: str = "127.0.0.1", target_port: int = 5432) -> Iterator[TcpProxy]:
    proxy = TcpProxy(target_host, target_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()
