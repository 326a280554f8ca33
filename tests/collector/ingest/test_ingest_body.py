"""POST /api/v1/reports, however the body arrives: in pieces, slowly, chunked, through a TLS
relay; and over the limit, by Content-Length or chunked.

The collector is the real application on a loopback port, behind a TLS relay that forwards the
request in small pieces with pauses between them, as a streaming reverse proxy on a slow link
does. The signature is checked over the whole body, so a collector that checked only the part
that had arrived would refuse these reports as badly signed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from sqlalchemy import Connection, select

from agent import protocol
from agent.config import load_config
from agent.daemon import Agent, ConfiguredProbe
from agent.probes.base import entry
from agent.sender import Outcome, Sender
from collector.app import create_app
from collector.store import inventory
from collector.store.database import Database
from collector.store.reports import report_count, stored_seqs
from collector.store.schema import hosts, reports
from collector.web.appkeys import DATABASE
from tests.support.collector import HOST_KEY, collector_config, report_body, signed
from tests.support.tls import write_self_signed_cert
from tests.support.tls_relay import TlsRelay

pytestmark = pytest.mark.integration

LIMIT = protocol.MAX_BODY_BYTES
SIZES = {"2 KB": 2_000, "300 KB": 300_000, "just under 1 MiB": LIMIT - 100}
PAUSE_S = 0.05
WAIT_S = 60.0  # only a guard against hanging; nothing below depends on speed


@dataclass
class Front:
    """The collector on plain HTTP, and the TLS relay in front of it."""

    app: web.Application
    port: int  # the collector's own
    relay: TlsRelay
    ca_file: Path
    tls: ssl.SSLContext

    @property
    def db(self) -> Database:
        return self.app[DATABASE]


def _seed(conn: Connection) -> None:
    now = datetime.now(UTC)
    inventory.add_customer(conn, "acme", "Acme Ltd", now)
    inventory.add_host(conn, "pbx-1", "acme", now, kind="pbx", key=HOST_KEY)


@pytest.fixture
async def front(database_url: str, tmp_path: Path) -> AsyncIterator[Front]:
    """The collector served as ``faultdesk-collector run`` serves it (aiohttp's test server
    would cancel a handler whose client has gone, which ``run_app`` does not)."""
    app = create_app(collector_config(database_url, tmp_path), run_schedules=False)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        await app[DATABASE].write(_seed)
        port = int(runner.addresses[0][1])
        cert, key = write_self_signed_cert(tmp_path, valid_days=2)
        relay = TlsRelay(port, cert, key)
        await relay.start()
        try:
            yield Front(app, port, relay, cert, ssl.create_default_context(cafile=cert))
        finally:
            await relay.close()
    finally:
        await runner.cleanup()


def _report_of_size(size: int, seq: int = 1) -> bytes:
    """A valid report whose body is exactly ``size`` bytes."""

    def padded(length: int) -> bytes:
        probes = {"system": {"status": "ok", "metrics": {"padding": "x" * length}, "error": None}}
        return protocol.encode(report_body(seq=seq, probes=probes))

    body = padded(size - len(padded(0)))
    assert len(body) == size
    return body


def _head(body: bytes, *, chunked: bool, length: int | None = None) -> bytes:
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length or len(body)}"
    lines = [f"POST {protocol.REPORTS_PATH} HTTP/1.1", "Host: 127.0.0.1", framing]
    lines += [f"{name}: {value}" for name, value in signed(body).items()]
    return ("\r\n".join([*lines, "Connection: close", "", ""])).encode()


def _split(body: bytes, parts: int) -> list[bytes]:
    """``body`` in ``parts`` pieces of uneven size (the last one the largest)."""
    cuts = sorted({len(body) * i // (parts * 2) for i in range(1, parts)})
    return [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]


def _chunks(pieces: list[bytes]) -> list[bytes]:
    return [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces] + [b"0\r\n\r\n"]


async def _exchange(
    port: int, writes: list[bytes], *, tls: ssl.SSLContext | None = None, pause_s: float = 0.0
) -> tuple[int, dict[str, Any]]:
    """Send ``writes`` one after another, ``pause_s`` apart; the collector's status and JSON."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
    try:
        for number, data in enumerate(writes):
            if number and pause_s:
                await asyncio.sleep(pause_s)
            writer.write(data)
            await writer.drain()
        return await asyncio.wait_for(_read_answer(reader), WAIT_S)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await writer.wait_closed()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of the collector's answer, read by its Content-Length (the
    collector may keep reading an unwanted body for a while before it closes)."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    fields = dict(line.lower().split(": ", 1) for line in head[1:] if line)
    text = await reader.readexactly(int(fields["content-length"]))
    return int(head[0].split()[1]), json.loads(text)


def _host_row(conn: Connection) -> tuple[Any, ...]:
    return tuple(conn.execute(select(hosts.c.last_seen_at, hosts.c.last_seq)).one())


async def _assert_stored(front: Front, answer: tuple[int, dict[str, Any]], seq: int) -> None:
    assert answer == (200, {"accepted": True, "seq": seq, "duplicate": False})
    assert await front.db.read(stored_seqs, "pbx-1") == [seq]


# --- every correctly signed body is accepted, however it arrives ------------------------------


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_it_accepts_a_body_written_in_two_pieces_with_a_pause(
    front: Front, size: int
) -> None:
    body = _report_of_size(size)
    first, second = body[: size // 2], body[size // 2 :]
    answer = await _exchange(
        front.relay.port, [_head(body, chunked=False) + first, second], tls=front.tls, pause_s=0.3
    )
    await _assert_stored(front, answer, 1)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_it_accepts_a_body_the_relay_trickles_in_small_pieces(
    front: Front, size: int
) -> None:
    front.relay.piece_bytes, front.relay.pause_s = size // 5 + 1, PAUSE_S
    body = _report_of_size(size)
    answer = await _exchange(front.relay.port, [_head(body, chunked=False) + body], tls=front.tls)
    await _assert_stored(front, answer, 1)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_it_accepts_a_chunked_body_trickled_through_the_relay(
    front: Front, size: int
) -> None:
    front.relay.piece_bytes, front.relay.pause_s = size // 5 + 1, PAUSE_S
    body = _report_of_size(size)
    writes = [_head(body, chunked=True), *_chunks(_split(body, 4))]
    answer = await _exchange(front.relay.port, writes, tls=front.tls, pause_s=PAUSE_S)
    await _assert_stored(front, answer, 1)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_it_accepts_what_the_agent_sends_through_the_relay(front: Front, size: int) -> None:
    front.relay.piece_bytes, front.relay.pause_s = size // 5 + 1, PAUSE_S
    sender = Sender(
        f"https://127.0.0.1:{front.relay.port}",
        "pbx-1",
        HOST_KEY.encode(),
        timeout_s=WAIT_S,
        ca_bundle=front.ca_file,
    )
    result = await asyncio.to_thread(sender.send, _report_of_size(size, seq=5))
    assert (result.outcome, result.status) == (Outcome.DELIVERED, 200), result.detail
    assert await front.db.read(stored_seqs, "pbx-1") == [5]


@pytest.mark.parametrize("chunked", [False, True], ids=["Content-Length", "chunked"])
async def test_it_accepts_a_body_of_exactly_the_limit(front: Front, chunked: bool) -> None:
    body = _report_of_size(LIMIT)
    writes = [_head(body, chunked=chunked), *(_chunks([body]) if chunked else [body])]
    await _assert_stored(front, await _exchange(front.port, writes), 1)


# --- over the limit: 413, and nothing stored --------------------------------------------------

OVER = LIMIT * 5 // 2  # 2.5 MiB


def _framed(body: bytes, chunked: bool) -> list[bytes]:
    if chunked:
        return [_head(body, chunked=True), *_chunks(_split(body, 8))]
    return [_head(body, chunked=False), *_split(body, 8)]


@pytest.mark.parametrize("chunked", [False, True], ids=["Content-Length", "chunked"])
async def test_it_refuses_a_signed_body_over_the_limit_with_413_and_stores_nothing(
    front: Front, chunked: bool
) -> None:
    before = await front.db.read(_host_row)
    body = _report_of_size(OVER)
    status, answer = await _exchange(front.port, _framed(body, chunked))
    assert status == 413 and answer["error"] == f"body over {LIMIT} bytes"
    assert await front.db.read(report_count) == 0
    assert await front.db.read(_host_row) == before


async def test_it_refuses_an_announced_length_over_the_limit_before_any_body_comes(
    front: Front,
) -> None:
    head = _head(b"", chunked=False, length=OVER)
    status, _ = await _exchange(front.port, [head])  # and no body at all
    assert status == 413


async def test_it_refuses_an_endless_chunked_body_without_waiting_for_its_end(
    front: Front,
) -> None:
    """A body with no end can only be answered by a collector that stops reading at the limit."""
    reader, writer = await asyncio.open_connection("127.0.0.1", front.port)
    chunk = _chunks([b"x" * 65536])[0]

    async def stream_forever() -> None:
        writer.write(_head(b"", chunked=True))
        with contextlib.suppress(ConnectionError):
            while True:
                writer.write(chunk)
                await writer.drain()

    streaming = asyncio.create_task(stream_forever())
    try:
        status_line = await asyncio.wait_for(reader.readline(), WAIT_S)
    finally:
        streaming.cancel()
        await asyncio.gather(streaming, return_exceptions=True)
        writer.transport.abort()  # close() would first flush a chunk the collector ignores
    assert status_line.split()[1] == b"413"
    assert await front.db.read(report_count) == 0


async def test_it_refuses_an_oversized_agent_report_which_the_agent_sets_aside_and_announces(
    front: Front, tmp_path: Path
) -> None:
    agent = _agent(tmp_path, f"http://127.0.0.1:{front.port}")
    padding = ["x" * OVER]  # one report over the limit, then ordinary ones
    agent.probes.append(ConfiguredProbe("bulky", lambda: entry("ok", {"pad": padding.pop()})))
    bulky = agent.sample_once()
    assert bulky is not None
    await asyncio.to_thread(agent.deliver_spool)
    assert len(agent.spool) == 0 and await front.db.read(report_count) == 0
    refused = agent.dead_letters.latest()
    assert refused is not None
    assert (refused.seq, refused.status, refused.reason) == (bulky, 413, f"body over {LIMIT} bytes")

    padding.append("")
    announcing = agent.sample_once()
    await asyncio.to_thread(agent.deliver_spool)
    assert await front.db.read(stored_seqs, "pbx-1") == [announcing]
    stored = await front.db.read(_stored_body, announcing)
    folder = str(agent.dead_letters.directory)
    assert stored["events"] == [
        protocol.dead_lettered_event(1, bulky, 413, f"body over {LIMIT} bytes", folder)
    ]
    assert stored["probes"]["spool"]["metrics"]["dead_lettered_total"] == 1


def _agent(tmp_path: Path, url: str) -> Agent:
    key_file = tmp_path / "host.key"
    key_file.write_text(HOST_KEY)
    key_file.chmod(0o600)
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"collector_url: {url}\nhost_id: pbx-1\nkey_file: {key_file}\n"
        f"spool_dir: {tmp_path / 'spool'}\ninterval_s: 60\ntimeout_s: {WAIT_S}\n"
    )
    return Agent(path, load_config(path), HOST_KEY.encode())


def _stored_body(conn: Connection, seq: int) -> Any:
    return conn.execute(select(reports.c.body).where(reports.c.seq == seq)).scalar_one()


async def test_it_refuses_a_body_cut_short_and_stores_nothing(front: Front) -> None:
    body = _report_of_size(SIZES["300 KB"])
    reader, writer = await asyncio.open_connection("127.0.0.1", front.port)
    head = _head(body, chunked=False).replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n")
    writer.write(head)
    # "100 Continue" comes once the request has reached the endpoint: the cut lands mid-read.
    assert b" 100 " in await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_S)
    writer.write(body[: len(body) // 2])
    await writer.drain()
    writer.close()
    await _wait_until(lambda: _counted(front, "malformed"), "the refusal to be counted")
    assert await front.db.read(report_count) == 0


async def _counted(front: Front, reason: str) -> bool:
    async with (
        ClientSession() as session,
        session.get(f"http://127.0.0.1:{front.port}/metrics") as r,
    ):
        text = await r.text()
    return f'faultdesk_reports_rejected_total{{reason="{reason}"}} 1.0' in text


async def _wait_until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)
