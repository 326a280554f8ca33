"""An agent's silence is looked for at its deadline, not at the next regular sweep: each sweep
says when the next host would fall silent, and the leader sweeps again then."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection

from agent import protocol
from collector.app import MONITOR, create_app
from collector.config.settings import (
    CollectorConfig,
    MailSettings,
    MonitoringSettings,
    SmtpSettings,
)
from collector.engine.pipeline import sweep
from collector.store import inventory
from collector.store.database import Database
from collector.web.appkeys import DATABASE
from tests.support.collector import HOST_KEY, collector_config, report_body, signed
from tests.support.smtp import smtp_server

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
CONTACT = "jo@acme.example"


def _hosts(conn: Connection, now: datetime) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", now)
    inventory.set_contacts(conn, "acme", [("Jo", CONTACT)])
    inventory.add_host(conn, "pbx-1", "acme", now, name="pbx1", key=HOST_KEY, interval_s=60)
    inventory.add_host(conn, "pbx-2", "acme", now, name="pbx2", key=HOST_KEY, interval_s=10)


def test_it_tells_when_the_next_host_would_fall_silent(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    config = collector_config(database_url, tmp_path)
    db.transaction(_hosts, MONDAY)
    # Neither has reported: each counts from when it was added, pbx-2 after 3 x 10 s.
    assert db.transaction(sweep, config, MONDAY) == MONDAY + timedelta(seconds=30)
    # pbx-2 is silent from then on; pbx-1 is next, after 3 x 60 s.
    later = MONDAY + timedelta(seconds=31)
    assert db.transaction(sweep, config, later) == MONDAY + timedelta(seconds=180)
    assert db.transaction(sweep, config, MONDAY + timedelta(seconds=181)) is None


async def test_it_mails_an_agents_silence_though_the_next_sweep_is_an_hour_away(
    database_url: str, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, port):
        config: CollectorConfig = collector_config(
            database_url,
            tmp_path,
            smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_s=5),
            mail=MailSettings(noc="noc@vendor.example", send_interval_s=3600),
            monitoring=MonitoringSettings(sweep_interval_s=3600),
        )
        app = create_app(config, run_schedules=True)
        async with TestClient(TestServer(app)) as client:
            now = datetime.now(UTC)
            await app[DATABASE].write(_one_host, now)
            body = protocol.encode(report_body(seq=1, interval_s=1))
            response = await client.post(
                protocol.REPORTS_PATH, data=io.BytesIO(body), headers=signed(body)
            )
            assert response.status == 200
            await app[MONITOR].sweep()  # as the first regular sweep would, an hour on
            assert inbox.messages == []
            # Silent from 3 s after the report: swept then, mailed at once.
            mail = await inbox.wait_for(CONTACT, "FAULT: The agent has stopped reporting on pbx1")
    body = mail.get_body(("plain",))
    assert body is not None and "silent" in body.get_content()


def _one_host(conn: Connection, now: datetime) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", now)
    inventory.set_contacts(conn, "acme", [("Jo", CONTACT)])
    inventory.add_host(conn, "pbx-1", "acme", now, name="pbx1", kind="pbx", key=HOST_KEY)
