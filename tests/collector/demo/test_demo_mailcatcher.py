"""The demo's mail catcher: real SMTP in, escaped pages out, only demo links clickable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from collector.demo.mailcatcher import Mailbox, MailCatcher, add_inbox_routes, linkify

pytestmark = pytest.mark.integration

ACK = "http://127.0.0.1:8080/ack/tok.EN-1_x"


@pytest.fixture
async def catcher(tmp_path: Path) -> AsyncIterator[MailCatcher]:
    catcher = MailCatcher(Mailbox(lambda: datetime.now(UTC), tmp_path / "mail"), port=0)
    await catcher.start()
    yield catcher
    await catcher.stop()


@pytest.fixture
async def client(catcher: MailCatcher) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    add_inbox_routes(app, catcher.mailbox)
    async with TestClient(TestServer(app)) as client:
        yield client


async def send(catcher: MailCatcher, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = "faultdesk@demo.example"
    message["To"] = "pat@acme.example"
    message["Subject"] = subject
    message.set_content(body)
    await aiosmtplib.send(message, hostname="127.0.0.1", port=catcher.port)


def test_it_links_only_demo_urls_and_escapes_the_rest() -> None:
    html = linkify(f'<b>x</b> {ACK} http://evil.example/ack/1 "{ACK}"')
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert html.count(f'<a href="{ACK}">{ACK}</a>') == 2  # the quote ends the link
    assert '<a href="http://evil' not in html


async def test_it_catches_mail_over_smtp_and_keeps_a_copy(catcher: MailCatcher) -> None:
    await send(catcher, "CRITICAL: Acme / pbx-1: trunk down", f"Acknowledge: {ACK}\n")
    [mail] = catcher.mailbox.newest_first()
    assert mail.number == 1
    assert mail.recipients == ("pat@acme.example",)
    assert mail.subject == "CRITICAL: Acme / pbx-1: trunk down"
    assert ACK in mail.body
    assert catcher.mailbox.save_dir is not None
    assert [p.name for p in catcher.mailbox.save_dir.iterdir()] == ["00001.eml"]


async def test_it_lists_mail_newest_first_escaped(
    catcher: MailCatcher, client: TestClient[web.Request, web.Application]
) -> None:
    await send(catcher, "alpha <script>alert(1)</script>", "one")
    await send(catcher, "bravo", "two")
    response = await client.get("/demo/inbox")
    page = await response.text()
    assert response.status == 200
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.index("bravo") < page.index("alpha")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    listed = await (await client.get("/demo/inbox.json")).json()
    assert [m["subject"] for m in listed["messages"]] == [
        "bravo",
        "alpha <script>alert(1)</script>",
    ]


async def test_it_shows_one_message_with_its_ack_link_clickable(
    catcher: MailCatcher, client: TestClient[web.Request, web.Application]
) -> None:
    await send(catcher, "fault", f"Confirm here:\n{ACK}\n<img src=x>")
    page = await (await client.get("/demo/inbox/1")).text()
    assert f'<a href="{ACK}">{ACK}</a>' in page
    assert "<img" not in page
    assert (await client.get("/demo/inbox/2")).status == 404
