"""A real collector application receiving SNMP traps on a loopback port, with a Mitel host.

The application is the real one (``create_app``) with ``snmp.listen`` on port 0; its leader's
SNMP duty is driven by the test (``tick``), so what happens between traps and faults is not
left to the one-second schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection, func, select

from collector.app import TRAPS, create_app
from collector.config.settings import CollectorConfig
from collector.config.snmp import SnmpSettings
from collector.jobs.snmp_duty import SnmpDuty
from collector.operations.inventory import NewHost, create_host
from collector.store import inventory
from collector.store.database import Database
from collector.store.schema import faults
from collector.store.telemetry_schema import snmp_traps
from collector.web.appkeys import DATABASE, METRICS
from tests.support.clock import Clock
from tests.support.collector import collector_config

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
HOST = "acme-mitel"
COMMUNITY = "public"
MITEL_ALARM = "snmp.alarm:Mitel alarm level"  # the check, titled by the profile's label


@dataclass
class SnmpCollector:
    client: TestClient[Any, Any]
    db: Database
    config: CollectorConfig
    clock: Clock
    duty: SnmpDuty
    port: int  # where it receives traps

    async def tick(self) -> None:
        """One run of the leader's SNMP duty, with the polls it started finished and stored."""
        await self.duty.tick()
        await self.duty.drain()

    async def stored_traps(self) -> int:
        """Traps received and stored, counting each of a storm's repeats."""
        return int(await self.db.read(_trap_count))

    async def wait_for_traps(self, count: int, timeout_s: float = 30.0) -> None:
        """Until ``count`` traps are stored: the receiver gathers them for a moment first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while await self.stored_traps() < count:
            if loop.time() > deadline:
                raise AssertionError(f"{await self.stored_traps()} traps stored, not {count}")
            await asyncio.sleep(0.05)

    async def open_faults(self, check_key: str | None = None) -> list[Any]:
        return list(await self.db.read(_open_faults, check_key))

    async def all_faults(self) -> list[Any]:
        return list(await self.db.read(_all_faults))

    async def metric(self, name: str, **labels: str) -> float:
        response = await self.client.get("/metrics")
        text = await response.text()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return 0.0


def _trap_count(conn: Connection) -> int:
    return int(conn.scalar(select(func.coalesce(func.sum(snmp_traps.c["count"]), 0))) or 0)


def _open_faults(conn: Connection, check_key: str | None) -> list[Any]:
    query = select(faults).where(faults.c.resolved_at.is_(None))
    if check_key is not None:
        query = query.where(faults.c.check_key == check_key)
    return list(conn.execute(query.order_by(faults.c.id)))


def _all_faults(conn: Connection) -> list[Any]:
    return list(conn.execute(select(faults).order_by(faults.c.id)))


def add_mitel(
    conn: Connection, config: CollectorConfig, *, host_id: str = HOST, address: str = "127.0.0.1",
    **snmp: Any,
) -> None:  # fmt: skip
    if not inventory.list_customers(conn):
        inventory.add_customer(conn, "acme", "Acme Ltd", NOW)
        inventory.set_contacts(conn, "acme", [("Jo", "jo@acme.example")])
    settings = {"version": "2c", "community": COMMUNITY, **snmp}
    body = NewHost(id=host_id, customer_id="acme", kind="mitel", address=address, snmp=settings)
    create_host(conn, body, NOW, config)


@contextlib.asynccontextmanager
async def snmp_collector(
    database_url: str,
    tmp_path: Path,
    *,
    add_host: Callable[[Connection, CollectorConfig], None] | None = add_mitel,
    **snmp: Any,
) -> AsyncIterator[SnmpCollector]:
    settings = SnmpSettings(listen="127.0.0.1:0", **snmp)
    config = collector_config(database_url, tmp_path, snmp=settings)
    clock = Clock(NOW)
    app = create_app(config, clock=clock, run_schedules=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        db = app[DATABASE]
        if add_host is not None:
            await db.write(add_host, config)
        traps = app[TRAPS]
        await traps.refresh()
        duty = SnmpDuty(db, config, clock, app[METRICS])
        try:
            yield SnmpCollector(client, db, config, clock, duty, traps.bound[1])
        finally:
            await duty.stop()
