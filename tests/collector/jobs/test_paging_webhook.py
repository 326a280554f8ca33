"""Webhook pagers: each page POSTed as JSON to a real HTTP server on loopback, with retries
and every failed attempt recorded on the page's row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import Connection, select

from collector.config.oncall import OnCallSettings
from collector.config.settings import CollectorConfig
from collector.jobs.paging import sweep_paging
from collector.jobs.webhook_pages import deliver_webhook_pages
from collector.store import faults, incidents, inventory
from collector.store.database import Database
from collector.store.schema import outbox, pages
from tests.support.collector import collector_config

pytestmark = pytest.mark.integration

OPENED = datetime(2026, 11, 7, 8, 0, tzinfo=UTC)  # a Saturday, 03:00 in New York


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """These tests run on SQLite alone."""
    return sqlite_url


class Pager:
    """A webhook pager: answers each POST with the next status in ``answers`` (then 200)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[int] = []

    async def hook(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        return web.Response(status=self.answers.pop(0) if self.answers else 200)

    async def silent(self, request: web.Request) -> web.Response:
        await asyncio.sleep(3600)  # never answers in time
        return web.Response()


@pytest.fixture
async def pager() -> AsyncIterator[tuple[Pager, TestServer]]:
    pager = Pager()
    app = web.Application()
    app.router.add_post("/hook", pager.hook)
    app.router.add_post("/silent", pager.silent)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield pager, server
    await server.close()


def _config(
    tmp_path: Path, server: TestServer, first_path: str = "/hook", timeout_s: float = 10.0
) -> CollectorConfig:
    rota = {
        "people": [
            {"name": "dana", "pager": {"webhook": str(server.make_url(first_path))}},
            {"name": "eve", "pager": {"email": "15550002@sms.example"}},
        ],
        "rotation": {"starts_on": "2026-11-02", "people": ["dana", "eve"]},
        "webhook_attempts": 3,
        "webhook_retry_s": 0,
        "webhook_timeout_s": timeout_s,
    }
    return collector_config(
        f"sqlite:///{tmp_path / 'fd.db'}", tmp_path, oncall=OnCallSettings.model_validate(rota)
    )


def _critical_incident(conn: Connection) -> int:
    inventory.add_customer(conn, "acme", "Acme Ltd", OPENED)
    inventory.add_host(conn, "acme-pbx", "acme", OPENED, name="pbx1", kind="pbx")
    fault_id = faults.open_fault(
        conn, host_id="acme-pbx", check_key="asterisk.ami", severity="critical",
        title="PBX not answering (Asterisk AMI)", detail="", at=OPENED,
    )  # fmt: skip
    return incidents.open_incident(
        conn, fault_id=fault_id, customer_id="acme", tier="premium", covered=True,
        severity="critical", opened_at=OPENED, response_due_at=OPENED + timedelta(hours=1),
        policy={"tier": "premium", "pages_on_call": True},
    )  # fmt: skip


def _pages(conn: Connection) -> list[tuple[str, str, str, str | None]]:
    rows = conn.execute(select(pages).order_by(pages.c.id))
    return [(row.kind, row.person, row.status, row.last_error) for row in rows]


async def test_it_posts_the_page_as_json_after_retrying_a_failed_attempt(
    tmp_path: Path, db: Database, pager: tuple[Pager, TestServer]
) -> None:
    hook, server = pager
    config = _config(tmp_path, server)
    incident_id = await db.write(_critical_incident)
    hook.answers = [503]

    assert await db.write(sweep_paging, config, OPENED) == 1
    assert await db.read(_pages) == [("page", "dana", "pending", None)]
    assert await deliver_webhook_pages(db, config, lambda: OPENED) == 1

    ((kind, person, status, error),) = await db.read(_pages)
    assert (kind, person, status) == ("page", "dana", "sent")
    assert error == "attempt 1: HTTP 503 Service Unavailable"
    assert len(hook.received) == 2
    sent = hook.received[-1]
    assert sent["kind"] == "page" and sent["person"] == "dana"
    assert sent["incident"]["id"] == incident_id
    assert sent["incident"]["customer"] == "Acme Ltd" and sent["incident"]["host"] == "pbx1"
    assert sent["incident"]["severity"] == "critical"
    assert sent["respond_within_s"] == 3600
    assert "/page-ack/" in sent["ack_url"] and sent["text"].startswith("PAGE CRITICAL")
    assert await db.read(lambda conn: list(conn.execute(select(outbox)))) == []
    assert await deliver_webhook_pages(db, config, lambda: OPENED) == 0  # nothing left


async def test_it_records_a_refused_page_as_failed_and_escalation_goes_on(
    tmp_path: Path, db: Database, pager: tuple[Pager, TestServer]
) -> None:
    hook, server = pager
    config = _config(tmp_path, server)
    await db.write(_critical_incident)
    hook.answers = [410]  # permanent: not retried

    await db.write(sweep_paging, config, OPENED)
    assert await deliver_webhook_pages(db, config, lambda: OPENED) == 0
    assert await db.read(_pages) == [("page", "dana", "failed", "attempt 1: HTTP 410 Gone")]
    assert len(hook.received) == 1

    await db.write(sweep_paging, config, OPENED + timedelta(minutes=30))
    assert [row[:3] for row in await db.read(_pages)][-1] == ("escalate", "eve", "sent")


async def test_it_gives_up_on_a_pager_that_never_answers_after_every_attempt(
    tmp_path: Path, db: Database, pager: tuple[Pager, TestServer]
) -> None:
    config = _config(tmp_path, pager[1], first_path="/silent", timeout_s=0.2)
    await db.write(_critical_incident)

    await db.write(sweep_paging, config, OPENED)
    assert await deliver_webhook_pages(db, config, lambda: OPENED) == 0
    ((_, _, status, error),) = await db.read(_pages)
    assert status == "failed"
    assert error == "; ".join(f"attempt {n}: no answer within 0.2 s" for n in (1, 2, 3)), error
