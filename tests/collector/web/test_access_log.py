"""The access log hides link tokens, bearer tokens and token-like query values."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from collector.web.access_log import RedactingAccessLogger, redact

TOKEN = "eyJmIjoxfQ.0zo_50xvQY61u3ZoIkNqBkktCNJHrOHfcRKtFcu2ALY"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        (f"GET /ack/{TOKEN} HTTP/1.1", "GET /ack/[token] HTTP/1.1"),
        (f"POST /page-ack/{TOKEN}?x=1", "POST /page-ack/[token]?x=1"),
        (f"https://fd.example/ack/{TOKEN}", "https://fd.example/ack/[token]"),
        (f"POST /portal/password/{TOKEN} HTTP/1.1", "POST /portal/password/[token] HTTP/1.1"),
        (f"Bearer {TOKEN}", "Bearer [token]"),
        (
            f"/api/v1/faults?open=1&token={TOKEN}&limit=2",
            "/api/v1/faults?open=1&token=[token]&limit=2",
        ),
        ("/api/v1/faults/7", "/api/v1/faults/7"),
    ],
)
def test_it_hides_secrets(text: str, hidden: str) -> None:
    assert redact(text) == hidden


async def test_it_logs_requests_without_their_tokens(caplog: pytest.LogCaptureFixture) -> None:
    async def ok(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/ack/{token}", ok)
    server = TestServer(app, host="127.0.0.1")
    access = {"access_log": logging.getLogger("collector.access")}
    with caplog.at_level(logging.INFO, logger="collector.access"):
        await server.start_server(access_log_class=RedactingAccessLogger, **access)
        async with TestClient(server) as client:
            headers = {"Referer": f"http://x.example/ack/{TOKEN}"}
            assert (await client.get(f"/ack/{TOKEN}", headers=headers)).status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "collector.access"]
    assert lines and all(TOKEN not in line for line in lines)
    assert '"GET /ack/[token] HTTP/1.1" 200' in lines[0]
