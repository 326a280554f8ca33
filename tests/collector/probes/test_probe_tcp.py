"""The TCP port probe against loopback listeners."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from collector.probes.base import Verdict
from collector.probes.tcp import format_target, probe_tcp

pytestmark = pytest.mark.integration


@pytest.fixture
async def open_port() -> AsyncIterator[int]:
    async def hang_up(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_it_reports_an_open_port_with_its_connect_time(open_port: int) -> None:
    result = await probe_tcp("127.0.0.1", open_port)

    assert result.verdict is Verdict.OK
    assert result.kind == "tcp"
    assert result.target == f"127.0.0.1:{open_port}"
    assert result.detail == f"port {open_port} open"
    assert result.latency_ms is not None
    assert result.latency_ms >= 0


async def test_it_says_connection_refused_on_a_closed_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = await probe_tcp("127.0.0.1", port)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "connection refused"
    assert result.latency_ms is None


def test_it_brackets_ipv6_targets() -> None:
    assert format_target("::1", 22) == "[::1]:22"
