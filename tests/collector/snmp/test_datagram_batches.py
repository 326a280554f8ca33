"""The trap socket read in batches: every datagram is handed on, in order, whatever the batch
size, and one whose handling fails does not stop the reading of the next."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from collector.snmp.datagram_batches import DatagramBatches


def _bound() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024 * 1024)
    sock.bind(("127.0.0.1", 0))
    return sock


async def _until(condition: Any, timeout_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "the datagrams were not all read"
        await asyncio.sleep(0.01)


async def test_it_hands_on_every_datagram_in_order_across_batches() -> None:
    got: list[bytes] = []
    batches = DatagramBatches(_bound(), lambda data, addr: got.append(data), batch=7)
    batches.start()
    sent = [f"trap {n}".encode() for n in range(100)]
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for data in sent:
                sender.sendto(data, batches.sockname[:2])
            await _until(lambda: len(got) >= len(sent))
            sender.sendto(b"later", batches.sockname[:2])  # read again once all were read
            await _until(lambda: len(got) > len(sent))
    finally:
        batches.close()
    assert got == [*sent, b"later"]


async def test_a_datagram_whose_handling_fails_is_logged_and_the_next_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[bytes] = []

    def handle(data: bytes, addr: tuple[Any, int]) -> None:
        if data == b"bad":
            raise ValueError("cannot handle it")
        got.append(data)

    batches = DatagramBatches(_bound(), handle)
    batches.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for data in (b"one", b"bad", b"two"):
                sender.sendto(data, batches.sockname[:2])
            await _until(lambda: len(got) == 2)
    finally:
        batches.close()
    assert got == [b"one", b"two"]
    assert "handling an SNMP datagram from 127.0.0.1 failed" in caplog.text
