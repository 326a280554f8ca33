"""The collector's HTTP listener for ``faultdesk-collector run``: the access log without
secrets, every connection under the guard's deadlines and cap, a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from collector.config.settings import HttpSettings
from collector.web.access_log import RedactingAccessLogger
from collector.web.connections import GUARD, ConnectionGuard, GuardedSite, Limits

log = logging.getLogger(__name__)


async def listen(app: web.Application, http: HttpSettings) -> web.AppRunner:
    """Start serving ``app`` on ``http.host``/``http.port`` (0: any free port, which
    ``runner.addresses`` then names); ``runner.cleanup()`` stops it."""
    limits = Limits(http.header_timeout_s, http.body_timeout_s, http.max_connections)
    guard = ConnectionGuard(limits)
    app[GUARD] = guard
    runner = web.AppRunner(
        app,
        access_log=logging.getLogger("collector.access"),
        access_log_class=RedactingAccessLogger,
        keepalive_timeout=http.header_timeout_s,
    )
    await runner.setup()
    try:
        await GuardedSite(runner, guard, host=http.host, port=http.port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def serve(app: web.Application, http: HttpSettings) -> None:
    """Serve ``app`` until SIGTERM or SIGINT; in-flight requests get up to 60 s to finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = await listen(app, http)
    try:
        log.info("listening on http://%s:%d", http.host, http.port)
        await stop.wait()
    finally:
        await runner.cleanup()
