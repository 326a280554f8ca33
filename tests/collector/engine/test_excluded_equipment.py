"""Equipment a tier excludes (seed 002: handsets under CatS, Cat1, Cat2, Cat4) opens no SLA
clock, and the incident says why — through the running service, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection

from collector.app import create_app
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import DATABASE
from tests.support.collector import collector_config
from tests.support.incidents import add_customer, open_incident

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tier", "check_key", "covered"),
    [
        ("cat1", "asterisk.endpoint:phone-12", False),
        ("cat4", "asterisk.endpoint:phone-12", False),
        ("cat1", "disk:/", True),
        ("standard", "asterisk.endpoint:phone-12", True),
    ],
)
async def test_it_opens_no_clock_for_excluded_equipment_and_says_why(
    tmp_path: Path, database_url: str, tier: str, check_key: str, covered: bool
) -> None:
    config = collector_config(database_url, tmp_path)
    app = create_app(config, clock=lambda: MONDAY + timedelta(hours=1), run_schedules=False)

    def setup(conn: Connection) -> int:
        host = add_customer(conn, "acme", tier, MONDAY)
        return open_incident(conn, config, host, MONDAY, check_key=check_key)

    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        await db.write(add_operator, "alice", "correct horse battery", MONDAY)
        token = await db.write(create_token, "alice", "tests", MONDAY)
        incident_id = await db.write(setup)
        response = await client.get(
            f"/api/v1/incidents/{incident_id}", headers={"Authorization": f"Bearer {token}"}
        )
        incident = await response.json()
    assert incident["covered"] is covered
    if covered:
        assert incident["targets"]
    else:
        assert incident["targets"] == {} and incident["tier"] == tier
        assert incident["explanation"] == (
            f"Not covered under {tier}: telephone handsets are not covered under this tier "
            "unless specified (seed 002). No target applies."
        )
