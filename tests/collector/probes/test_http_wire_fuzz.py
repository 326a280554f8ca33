"""The HTTP probe's response reader on any bytes, cut anywhere: a reply or a ReplyError,
never another exception; and a well-formed response reads back the same however it is cut."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.probes.http_wire import HttpReply, Request, _ResponseReader
from collector.probes.wire import ReplyError

FUZZ = settings(max_examples=300, deadline=None)
REQUEST = Request.get("http://host.example/", "faultdesk-test")
MAX_BODY = 4096


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The reader only needs a loop to make its future; nothing runs on it."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def read(loop: asyncio.AbstractEventLoop, pieces: list[bytes], *, eof: bool = True) -> HttpReply:
    """What the reader makes of ``pieces`` arriving one by one, then the close."""
    reader = _ResponseReader(loop, REQUEST, read_body=True, max_body=MAX_BODY)
    for piece in pieces:
        reader.data_received(piece)
    if eof:
        reader.eof_received()
    reader.connection_lost(None)
    return reader.reply.result()


def cut(data: bytes, points: list[int]) -> list[bytes]:
    marks = sorted({p % (len(data) + 1) for p in points})
    return [data[a:b] for a, b in zip([0, *marks], [*marks, len(data)], strict=True)]


@FUZZ
@given(st.binary(max_size=600), st.lists(st.integers(0, 600), max_size=6))
def test_it_reads_any_bytes_as_a_reply_or_a_refusal(
    loop: asyncio.AbstractEventLoop, data: bytes, points: list[int]
) -> None:
    try:
        reply = read(loop, cut(data, points))
    except ReplyError:
        return
    assert 100 <= reply.status <= 999 and len(reply.body) <= MAX_BODY


def response(status: int, body: bytes, framing: str, chunk: int) -> bytes:
    head = f"HTTP/1.1 {status} Whatever\r\nServer: fuzz\r\n".encode()
    if framing == "length":
        return head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    if framing == "close":
        return head + b"\r\n" + body
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    encoded = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + encoded + b"0\r\n\r\n"


@FUZZ
@given(
    st.integers(200, 599).filter(lambda s: s not in (204, 304)),
    st.binary(max_size=2000),
    st.sampled_from(["length", "close", "chunked"]),
    st.integers(1, 300),
    st.lists(st.integers(0, 3000), max_size=8),
    st.booleans(),
)
def test_it_reads_a_well_formed_response_the_same_however_it_arrives(
    loop: asyncio.AbstractEventLoop,
    status: int,
    body: bytes,
    framing: str,
    chunk: int,
    points: list[int],
    interim: bool,
) -> None:
    data = response(status, body, framing, chunk)
    if interim:
        data = b"HTTP/1.1 100 Continue\r\n\r\n" + data
    reply = read(loop, cut(data, points))
    assert (reply.status, reply.body) == (status, body[:MAX_BODY])
    assert reply.headers["server"] == "fuzz"
