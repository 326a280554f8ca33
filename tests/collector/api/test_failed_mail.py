"""Mail the sender gave up on is there for people to see: in the JSON API, on the dashboard's
mail page and in /metrics, with the reason, from the real collector and a real SMTP server."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection

from collector.app import SENDER, create_app
from collector.config.settings import MailSettings, SmtpSettings
from collector.notify import outbox
from collector.notify.smtp import SmtpTransport
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from dashboard import sessions
from tests.support.collector import collector_config
from tests.support.dashboard import session_cookie
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
MAX_ATTEMPTS = 2


@dataclass
class Collector:
    client: TestClient[Any, Any]
    token: str
    ids: dict[str, int]

    async def get(self, path: str, status: int = 200) -> str:
        response = await self.client.get(path, headers={"Authorization": f"Bearer {self.token}"})
        assert response.status == status, await response.text()
        return await response.text()


def _queue(conn: Connection, recipient: str, at: datetime) -> int:
    return outbox.enqueue(
        conn, kind="fault_opened", recipient=recipient, subject="MAJOR: test", body="hello",
        now=at,
    )  # fmt: skip


def _mail(conn: Connection) -> dict[str, int]:
    """One message that cannot be built, one whose every attempt was cut short, one fine."""
    unbuildable = _queue(conn, "jo@acme.example,attacker", NOW)
    interrupted = _queue(conn, "ann@acme.example", NOW - timedelta(minutes=5))
    at = NOW - timedelta(minutes=5)
    for _ in range(MAX_ATTEMPTS):  # claimed by senders that were killed before they finished
        assert [m.id for m in outbox.claim_due(conn, at, max_attempts=MAX_ATTEMPTS)] == [
            interrupted
        ]
        at += outbox.CLAIM_LEASE
    fine = _queue(conn, "noc@vendor.example", NOW)
    return {"unbuildable": unbuildable, "interrupted": interrupted, "fine": fine}


@pytest.fixture
async def collector(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Collector]:
    with smtp_server() as (_inbox, port):
        config = collector_config(
            sqlite_url,
            tmp_path,
            smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_s=5),
            mail=MailSettings(max_attempts=MAX_ATTEMPTS),
        )
        transport = SmtpTransport(config.smtp)
        app = create_app(config, clock=lambda: NOW, transport=transport, run_schedules=False)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            db = app[DATABASE]
            operator = await db.write(add_operator, "alice", "correct horse battery", NOW)
            token = await db.write(create_token, "alice", "tests", NOW)
            cookie = session_cookie(db, config, "operator", operator.id, NOW)
            client.session.cookie_jar.update_cookies({sessions.COOKIE: cookie})
            ids = await db.write(_mail)
            assert await app[SENDER].deliver_due() == 1
            yield Collector(client, token, ids)


async def test_it_lists_failed_mail_with_its_reason_in_the_json_api(collector: Collector) -> None:
    failed = json.loads(await collector.get("/api/v1/outbox?status=failed"))
    reasons = {m["id"]: (m["status"], m["attempts"], m["last_error"]) for m in failed}
    ids = collector.ids
    assert set(reasons) == {ids["unbuildable"], ids["interrupted"]}
    assert reasons[ids["unbuildable"]][:2] == ("failed", 1)
    assert "is not one email address" in reasons[ids["unbuildable"]][2]
    assert reasons[ids["interrupted"]][:2] == ("failed", MAX_ATTEMPTS)
    assert reasons[ids["interrupted"]][2].startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    sent = json.loads(await collector.get("/api/v1/outbox?status=sent"))
    assert [m["id"] for m in sent] == [ids["fine"]]
    refusal = json.loads(await collector.get("/api/v1/outbox?status=lost", status=400))
    assert refusal["field"] == "status"


async def test_it_counts_and_shows_failed_mail_on_the_dashboard(collector: Collector) -> None:
    page = await collector.get("/mail")
    assert re.search(r'id="failed-mail">2 messages failed', page)
    assert 'href="/mail?status=failed"' in page
    assert page.count('data-status="failed"') == 2 and page.count('data-status="sent"') == 1
    assert "is not one email address" in page and "gave up after 2 attempts" in page

    only_failed = await collector.get("/mail?status=failed")
    rows = re.findall(r'<tr data-mail-id="(\d+)" data-status="(\w+)"', only_failed)
    assert sorted(rows) == sorted(
        (str(collector.ids[k]), "failed") for k in ("unbuildable", "interrupted")
    )


async def test_it_exports_failed_mail_in_the_metrics(collector: Collector) -> None:
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(await collector.get("/metrics"))
        for sample in family.samples
    }
    assert samples[("faultdesk_outbox_depth", (("status", "failed"),))] == 2
    assert samples[("faultdesk_outbox_depth", (("status", "sent"),))] == 1
    assert samples[("faultdesk_mail_given_up_total", (("reason", "permanent"),))] == 1
    assert samples[("faultdesk_mail_given_up_total", (("reason", "attempts"),))] == 1
    assert samples[("faultdesk_mail_sent_total", ())] == 1
