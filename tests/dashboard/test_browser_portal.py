"""The portal in Chromium, end to end, with real mail: a customer invited by mail sets a
password, signs in, sees only their hosts, acknowledges a fault, logs a fault, gets the
vendor's public reply by mail and reads it in the portal; the operator's internal note never
appears. Screenshots at desktop and phone width are saved under test-artifacts/portal/ (or
$FAULTDESK_SCREENSHOTS)."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from collector.app import SENDER, create_app
from collector.config.settings import SmtpSettings
from collector.jobs.mail_sender import OutboxSender
from collector.notify.smtp import SmtpTransport
from collector.operations.accounts import NewCustomerUser, invite_user
from collector.store.database import Database
from collector.web.appkeys import DATABASE
from tests.support.browser import TIMEOUT_MS, chromium, screenshot_folder
from tests.support.clock import Clock
from tests.support.dashboard import OPERATOR, PASSWORD, START, Seeded, make_config
from tests.support.portal import add_globex
from tests.support.smtp import Inbox, smtp_server

if TYPE_CHECKING:
    from playwright.async_api import Response, ViewportSize

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CUSTOMER = "pat@acme.example"
CUSTOMER_PASSWORD = "a long portal passphrase"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass
class Vendor:
    base_url: str
    db: Database
    sender: OutboxSender
    inbox: Inbox
    seeded: Seeded


@pytest.fixture
async def vendor(template: tuple[Path, Seeded], tmp_path: Path) -> AsyncIterator[Vendor]:
    """The collector on a loopback port, mailing through a real SMTP server."""
    for path in template[0].iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with smtp_server() as (inbox, port):
        smtp = SmtpSettings(host="127.0.0.1", port=port, timeout_s=5)
        config = make_config(tmp_path, public_url=base_url).model_copy(update={"smtp": smtp})
        app = create_app(
            config, clock=Clock(START), transport=SmtpTransport(smtp), run_schedules=False
        )
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            db = app[DATABASE]
            await db.write(add_globex, START)
            body = NewCustomerUser(email=CUSTOMER, customer_id="acme", name="Pat")
            await db.write(
                invite_user, body, by="operator:olga", address="", now=START, config=config
            )
            yield Vendor(base_url, db, app[SENDER], inbox, template[1])
        finally:
            await runner.cleanup()
            sock.close()


def _link(text: str, base_url: str, path: str) -> str:
    match = re.search(re.escape(base_url) + re.escape(path) + r"\S*", text)
    assert match, f"no {path} link in: {text}"
    return match.group(0)


@pytest.fixture
def screenshots() -> Path:
    return screenshot_folder()


async def test_a_customer_works_through_the_portal_in_chromium(
    vendor: Vendor, screenshots: Path
) -> None:
    await vendor.sender.deliver_due()
    invitation = await vendor.inbox.wait_for(CUSTOMER, "Your access to the")
    link = _link(invitation.get_content(), vendor.base_url, "/portal/password/")

    async with chromium() as browser:
        customer = await browser.new_page(viewport=DESKTOP)
        customer.set_default_timeout(TIMEOUT_MS)
        await customer.goto(link)
        await customer.fill("#password", CUSTOMER_PASSWORD)
        await customer.fill("#again", CUSTOMER_PASSWORD)
        await customer.click("#set-password")
        await customer.locator("#username").wait_for()
        await customer.fill("#username", CUSTOMER)
        await customer.fill("#password", CUSTOMER_PASSWORD)
        await customer.click("#login")
        await customer.locator("table.portal-hosts").wait_for()
        hosts = await customer.locator("[data-host-id]").evaluate_all(
            "rows => rows.map(r => r.dataset.hostId)"
        )
        assert sorted(hosts) == ["pbx1", "web1"]
        assert "globex" not in (await customer.content()).lower()
        await customer.screenshot(path=screenshots / "status-desktop.png", full_page=True)

        fault_id = vendor.seeded.fault_id
        await customer.goto(f"{vendor.base_url}/portal/faults")
        row = customer.locator(f'tr[data-fault-id="{fault_id}"]')
        await row.locator('input[name="comment"]').fill("Looking at it")
        await row.locator("button.ack-button").click()
        await customer.locator(
            f'tr[data-fault-id="{fault_id}"][data-acknowledged="true"]'
        ).wait_for()

        await customer.goto(f"{vendor.base_url}/portal/tickets/new")
        await customer.fill("#title", "Reception phone shows No service")
        await customer.fill("#description", "Since 9am, only the reception handset.")
        await customer.select_option("#host_id", "pbx1")
        await customer.select_option("#urgency", "high")
        await customer.click("#log-fault")
        await customer.locator("#reference").wait_for()
        ticket_url = customer.url
        incident_id = int(ticket_url.rsplit("/", 1)[1])

        operator = await browser.new_page(viewport=DESKTOP)
        operator.set_default_timeout(TIMEOUT_MS)
        await operator.goto(f"{vendor.base_url}/incidents/{incident_id}")
        await operator.fill("#username", OPERATOR)
        await operator.fill("#password", PASSWORD)
        await operator.click("#login")
        for text, public in (("Customer sounds cross, check the trunk", False),
                             ("An engineer is looking at the trunk now", True)):  # fmt: skip
            await operator.fill("#comment-text", text)
            if public:
                await operator.check("#comment-public")
            # The post's answer, then the page it leads to showing the note: not the page's
            # "load" event, which a busy machine can hold back past any timeout.
            async with operator.expect_response(_comment_posted):
                await operator.click("#send-comment")
            await operator.locator("table.events", has_text=text).wait_for()

        await vendor.sender.deliver_due()
        reply = await vendor.inbox.wait_for(
            CUSTOMER, f"[INC-2024-{incident_id:04d}] Reply on your ticket"
        )
        assert "An engineer is looking at the trunk now" in reply.get_content()
        assert "cross" not in reply.get_content()
        assert _link(reply.get_content(), vendor.base_url, f"/portal/tickets/{incident_id}")

        await customer.set_viewport_size(PHONE)
        await customer.goto(ticket_url)
        timeline = await customer.locator("#timeline").inner_text()
        assert "An engineer is looking at the trunk now" in timeline
        assert "cross" not in (await customer.content())
        await customer.screenshot(path=screenshots / "ticket-phone.png", full_page=True)
        await customer.set_viewport_size(DESKTOP)
        await customer.screenshot(path=screenshots / "ticket-desktop.png", full_page=True)
        await customer.set_viewport_size(PHONE)
        await customer.goto(f"{vendor.base_url}/portal/")
        await customer.screenshot(path=screenshots / "status-phone.png", full_page=True)

    for name in ("status-desktop", "status-phone", "ticket-desktop", "ticket-phone"):
        assert (screenshots / f"{name}.png").stat().st_size > 0


def _comment_posted(response: Response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/comments")
