"""The HTTP probe's own HTTP/1.1 reading against loopback servers that answer with set bytes:
the framings a body can have, interim responses, and servers that misbehave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from collector.probes.base import Verdict
from collector.probes.http import probe_http
from collector.probes.http_wire import Request

pytestmark = pytest.mark.integration

#: Starts a server answering every request with the given bytes (then closing, or not);
#: returns its base URL.
Answering = Callable[..., Awaitable[str]]


@pytest.fixture
async def answering() -> AsyncIterator[Answering]:
    servers: list[asyncio.Server] = []
    held: list[asyncio.StreamWriter] = []

    async def start(*replies: bytes, close: bool = True) -> str:
        """Each connection gets the next reply (the last one repeats)."""
        answered = 0

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal answered
            await reader.readuntil(b"\r\n\r\n")
            writer.write(replies[min(answered, len(replies) - 1)])
            answered += 1
            if close:
                await writer.drain()
                writer.close()
            else:
                held.append(writer)

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for writer in held:
        writer.close()
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_it_reads_a_chunked_body(answering: Answering) -> None:
    url = await answering(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"6;ext=1\r\nHello \r\n7\r\nfrom a \r\n3\r\nPBX\r\n0\r\n\r\n",
        close=False,  # the framing alone must end the body
    )

    result = await probe_http(url + "/", expect_text="from a PBX", timeout_s=2)

    assert result.verdict is Verdict.OK, result.detail
    assert result.detail == "200 OK"


async def test_it_reads_a_body_of_known_length_without_waiting_for_the_close(
    answering: Answering,
) -> None:
    url = await answering(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nPBX console", close=False)

    result = await probe_http(url + "/", expect_text="console", timeout_s=2)

    assert result.verdict is Verdict.OK, result.detail


async def test_it_reads_a_body_that_ends_with_the_connection(answering: Answering) -> None:
    url = await answering(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\nCaf\xe9 admin"
    )

    result = await probe_http(url + "/", expect_text="Café admin", timeout_s=2)

    assert result.verdict is Verdict.OK, result.detail


async def test_it_skips_an_interim_response(answering: Answering) -> None:
    url = await answering(
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
    )

    result = await probe_http(url + "/", timeout_s=2)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "503 Service Unavailable"
    assert result.data["status"] == 503


async def test_it_says_when_the_server_hangs_up_without_answering(answering: Answering) -> None:
    url = await answering(b"")

    result = await probe_http(url + "/", timeout_s=2)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "server closed the connection without a response"


async def test_it_says_when_the_body_is_cut_short(answering: Answering) -> None:
    url = await answering(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")

    result = await probe_http(url + "/", expect_text="this", timeout_s=2)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "bad response: connection closed in the middle of the body"


async def test_it_refuses_a_reply_that_is_not_http(answering: Answering) -> None:
    url = await answering(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")

    result = await probe_http(url + "/", timeout_s=2)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail.startswith("bad response: ")
    assert result.detail.endswith("(it began 'SSH-2.0-OpenSSH_9.2')")


async def test_it_gives_up_on_headers_that_never_end(answering: Answering) -> None:
    url = await answering(b"HTTP/1.1 200 OK\r\nServer: slow", close=False)

    result = await probe_http(url + "/", timeout_s=0.3)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "no response within 0.3 s"


async def test_it_stops_following_a_redirect_loop(answering: Answering) -> None:
    url = await answering(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")

    result = await probe_http(url + "/", timeout_s=2)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "too many redirects (more than 10)"


async def test_it_follows_a_redirect_to_another_server(answering: Answering) -> None:
    target = await answering(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthere")
    first = await answering(
        f"HTTP/1.1 301 Moved Permanently\r\nLocation: {target}/login\r\n\r\n".encode()
    )

    result = await probe_http(first + "/", expect_text="there", timeout_s=2)

    assert result.verdict is Verdict.OK, result.detail
    assert result.data["redirects"] == [first + "/"]
    assert result.data["url"] == target + "/login"


async def test_it_refuses_a_url_it_cannot_request() -> None:
    result = await probe_http("http:///nohost")

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "invalid URL: http:///nohost"


def test_it_sends_a_minimal_request_with_the_host_and_credentials() -> None:
    request = Request.get("http://ops:s3cret@[::1]:8080/status page?x=1", "probe/1")

    assert (request.host, request.port, request.tls) == ("::1", 8080, False)
    assert request.head == (
        b"GET /status%20page?x=1 HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: probe/1\r\n"
        b"Accept: */*\r\nAccept-Encoding: identity\r\n"
        b"Authorization: Basic b3BzOnMzY3JldA==\r\nConnection: close\r\n\r\n"
    )
