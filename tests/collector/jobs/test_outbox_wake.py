"""Mail committed by this collector wakes its sender: a fault's opening mail reaches the SMTP
server without waiting for the sender's next look (here an hour away)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection

from agent import protocol
from collector.app import create_app
from collector.config.settings import MailSettings, SmtpSettings
from collector.store import inventory
from collector.web.appkeys import DATABASE, METRICS
from tests.support.collector import HOST_KEY, collector_config, report_body, signed
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.integration

CONTACT = "jo@acme.example"
NOC = "noc@vendor.example"


def _seed(conn: Connection) -> None:
    now = datetime.now(UTC)
    inventory.add_customer(conn, "acme", "Acme Ltd", now)
    inventory.set_contacts(conn, "acme", [("Jo", CONTACT)])
    inventory.add_host(conn, "pbx-1", "acme", now, name="pbx1", kind="pbx", key=HOST_KEY)


def _asterisk(running: bool) -> dict[str, Any]:
    services = {"processes": {"asterisk": {"running": running}}}
    return {"services": {"status": "ok", "metrics": services, "error": None}}


async def _post(client: TestClient[Any, Any], seq: int, running: bool) -> None:
    body = protocol.encode(report_body(seq=seq, probes=_asterisk(running)))
    response = await client.post(protocol.REPORTS_PATH, data=io.BytesIO(body), headers=signed(body))
    assert response.status == 200, await response.text()


def _outbox_runs(client: TestClient[Any, Any]) -> float:
    registry = client.app[METRICS].registry
    return registry.get_sample_value("faultdesk_scheduled_runs_total", {"job": "outbox"}) or 0.0


async def _first_look_done(client: TestClient[Any, Any]) -> None:
    """The sender looks once as its collector starts leading (mail may have waited for a
    leader); wait until that look is over, so that what follows can only be sent by a run
    something woke."""
    deadline = asyncio.get_running_loop().time() + 30
    while _outbox_runs(client) < 1:
        assert asyncio.get_running_loop().time() < deadline, "the sender never looked"
        await asyncio.sleep(0.01)
    # The look's claim is on the writer thread already; a write queued now runs after it.
    await client.app[DATABASE].write(lambda conn: None)


async def test_it_sends_a_fault_mail_at_once_though_the_next_look_is_an_hour_away(
    database_url: str, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        config = collector_config(
            database_url,
            tmp_path,
            smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_s=5),
            mail=MailSettings(noc=NOC, send_interval_s=3600),
        )
        app = create_app(config, run_schedules=True)
        async with TestClient(TestServer(app)) as client:
            await app[DATABASE].write(_seed)
            await _first_look_done(client)
            await _post(client, 1, running=True)
            assert _outbox_runs(client) == 1 and inbox.messages == []

            await _post(client, 2, running=False)  # the process is down: conclusive at once
            mail = await inbox.wait_for(CONTACT, "FAULT: asterisk is not running on pbx1")
            await inbox.wait_for(NOC, "MAJOR: asterisk is not running on pbx1")
            assert _outbox_runs(client) >= 2  # a run the commit woke, not the hourly look
    body = mail.get_body(("plain",))
    assert body is not None and "ack" in body.get_content()
