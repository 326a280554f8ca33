"""Slow and many clients against the real collector app as ``faultdesk-collector run`` serves
it: headers and bodies that never finish are cut off, connections past the cap are told to
come back, and ordinary requests carry on throughout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession

from collector.app import create_app
from collector.config.settings import HttpSettings
from collector.web.serving import listen
from tests.support.collector import collector_config

#: Short deadlines so the test is quick; the test waits far longer before calling it a hang.
LIMITS = {"header_timeout_s": 0.5, "body_timeout_s": 0.5, "max_connections": 4}
PATIENCE_S = 30


@pytest.fixture
async def served(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    app = create_app(collector_config(sqlite_url, tmp_path), run_schedules=False)
    runner = await listen(app, HttpSettings(host="127.0.0.1", port=0, **LIMITS))
    try:
        host, port = runner.addresses[0][:2]
        yield host, port
    finally:
        await runner.cleanup()


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), PATIENCE_S)


async def healthy(host: str, port: int) -> bool:
    async with ClientSession() as session, session.get(f"http://{host}:{port}/healthz") as r:
        return r.status == 200


async def test_it_closes_a_connection_whose_headers_never_finish(served: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*served)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    await writer.drain()
    assert await closed_by_server(reader) == b""
    writer.close()
    assert await healthy(*served)


async def test_it_closes_a_connection_whose_body_never_finishes(served: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*served)
    writer.write(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    await writer.drain()
    answer = await closed_by_server(reader)
    assert b" 200 " not in answer  # refused or cut off, never accepted
    writer.close()
    assert await healthy(*served)


async def test_it_keeps_a_connection_that_sends_requests_in_time(served: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*served)
    for _ in range(2):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), PATIENCE_S)
        assert status.startswith(b"HTTP/1.1 200")
        await asyncio.wait_for(reader.readuntil(b'"ok"}'), PATIENCE_S)
    writer.close()


async def test_it_answers_503_past_the_connection_cap_and_recovers(
    served: tuple[str, int],
) -> None:
    idle = [await asyncio.open_connection(*served) for _ in range(LIMITS["max_connections"])]
    reader, writer = await asyncio.open_connection(*served)
    answer = await closed_by_server(reader)
    assert answer.startswith(b"HTTP/1.1 503") and b"Retry-After: 5" in answer
    writer.close()
    for _, idle_writer in idle:
        idle_writer.close()

    # The idle ones are closed by their header deadline, or by us: either way room comes back.
    async def wait_healthy() -> None:
        while True:
            try:
                if await healthy(*served):
                    return
            except OSError:
                pass
            await asyncio.sleep(0.1)

    await asyncio.wait_for(wait_healthy(), PATIENCE_S)
