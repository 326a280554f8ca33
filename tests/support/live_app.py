"""The real collector application served on a loopback port from a thread of its own, for
clients that are not asyncio (schemathesis' CLI, ``requests``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from aiohttp import web

T = TypeVar("T")


class LiveApp:
    """An application being served; :meth:`run` runs a coroutine on its loop."""

    def __init__(self, app: web.Application, loop: asyncio.AbstractEventLoop, url: str) -> None:
        self.app = app
        self.loop = loop
        self.url = url

    def run(self, make: Callable[[], Awaitable[T]], timeout_s: float = 30) -> T:
        async def call() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout_s)


@contextmanager
def serving(app: web.Application) -> Iterator[LiveApp]:
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    thread = threading.Thread(target=loop.run_forever, name="live-app", daemon=True)
    thread.start()

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    url = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    try:
        yield LiveApp(app, loop, url)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
