"""POST /api/v1/reports: what is accepted is stored once; what is refused changes nothing."""

from __future__ import annotations

import io
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Connection, select

from agent import protocol
from collector.app import create_app
from collector.ingest.limits import MAX_ENTRIES, MAX_PROBES
from collector.store import inventory
from collector.store.reports import report_count, stored_seqs
from collector.store.schema import hosts
from collector.web.appkeys import DATABASE
from tests.support.collector import HOST_KEY, collector_config, report_body, signed

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NAIVE = "2026-01-01T00:00:00"
BAD = {"system": {"status": "fine"}}


def _seed(conn: Connection) -> None:
    inventory.add_customer(conn, "acme", "Acme Ltd", NOW)
    inventory.add_host(conn, "pbx-1", "acme", NOW, kind="pbx", key=HOST_KEY)


def _snapshot(conn: Connection) -> tuple[int, Any]:
    host = conn.execute(select(hosts.c.last_seen_at, hosts.c.last_seq)).first()
    return report_count(conn), tuple(host) if host else None


class Clock:
    """The collector's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(
    database_url: str, tmp_path: Path, clock: Clock
) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(collector_config(database_url, tmp_path), clock=clock, run_schedules=False)
    async with TestClient(TestServer(app)) as client:
        await app[DATABASE].write(_seed)
        yield client


async def _post(client: TestClient[Any, Any], body: bytes, headers: dict[str, str]) -> Any:
    # A stream, so aiohttp does not warn about sending a large body in one piece.
    return await client.post(protocol.REPORTS_PATH, data=io.BytesIO(body), headers=headers)


async def test_it_stores_a_signed_report_and_answers_with_its_seq(client: Any) -> None:
    body = protocol.encode(report_body(seq=7))
    response = await _post(client, body, signed(body))
    assert response.status == 200
    assert await response.json() == {"accepted": True, "seq": 7, "duplicate": False}
    db = client.app[DATABASE]
    assert await db.read(stored_seqs, "pbx-1") == [7]
    _, (last_seen, last_seq) = await db.read(_snapshot)
    assert last_seq == 7 and last_seen is not None


async def test_it_acknowledges_a_repeated_seq_but_stores_it_once(client: Any) -> None:
    body = protocol.encode(report_body(seq=3))
    first = await _post(client, body, signed(body))
    again = await _post(client, body, signed(body))
    assert first.status == again.status == 200
    assert (await again.json())["duplicate"] is True
    assert await client.app[DATABASE].read(stored_seqs, "pbx-1") == [3]


async def test_it_moves_last_seen_only_for_a_new_seq(client: Any, clock: Clock) -> None:
    """A replayed report was sampled long ago: it is no sign that the agent is alive now."""
    db = client.app[DATABASE]
    body = protocol.encode(report_body(seq=3))
    assert (await _post(client, body, signed(body))).status == 200
    first_seen = clock.now
    clock.now += timedelta(minutes=10)
    again = await _post(client, body, signed(body))
    assert again.status == 200 and (await again.json())["duplicate"] is True
    assert await db.read(_snapshot) == (1, (first_seen, 3))
    newer = protocol.encode(report_body(seq=4))
    assert (await _post(client, newer, signed(newer))).status == 200
    assert await db.read(_snapshot) == (2, (clock.now, 4))


async def test_it_keeps_the_highest_seq_when_reports_arrive_out_of_order(client: Any) -> None:
    for seq in (5, 4):
        body = protocol.encode(report_body(seq=seq))
        assert (await _post(client, body, signed(body))).status == 200
    assert await client.app[DATABASE].read(stored_seqs, "pbx-1") == [4, 5]
    _, (_, last_seq) = await client.app[DATABASE].read(_snapshot)
    assert last_seq == 5


def _bad_requests() -> list[tuple[str, int, str | None, Any]]:
    """(case, expected status, expected field, builder returning (body, headers))."""

    def good(**changes: Any) -> bytes:
        return protocol.encode(report_body(**changes))

    return [
        ("unknown host", 401, protocol.HOST_HEADER, lambda: _with(good(), host="nobody")),
        ("no host header", 401, protocol.HOST_HEADER, lambda: _without(good(), "Host")),
        ("bad signature", 401, protocol.SIGNATURE_HEADER, lambda: _with(good(), key="cd" * 32)),
        ("no signature", 401, protocol.SIGNATURE_HEADER, lambda: _without(good(), "Signature")),
        ("stale timestamp", 401, protocol.TIMESTAMP_HEADER, lambda: _with(good(), age=301)),
        ("future timestamp", 401, protocol.TIMESTAMP_HEADER, lambda: _with(good(), age=-301)),
        ("no timestamp", 401, protocol.TIMESTAMP_HEADER, lambda: _without(good(), "Timestamp")),
        ("not JSON", 400, None, lambda: _with(b"{not json")),
        ("JSON array", 400, None, lambda: _with(b"[]")),
        ("missing seq", 400, "seq", lambda: _with(_drop(good(), "seq"))),
        ("negative seq", 400, "seq", lambda: _with(good(seq=-1))),
        ("naive sampled_at", 400, "sampled_at", lambda: _with(good(sampled_at=NAIVE))),
        ("unknown probe status", 400, "probes.system.status", lambda: _with(good(probes=BAD))),
        ("unexpected field", 400, "extra", lambda: _with(good(extra=1))),
        ("host mismatch", 400, "host", lambda: _with(good(host="other"))),
        ("body over 1 MiB", 413, None, lambda: _with(good(agent_version="x" * (1024 * 1024)))),
        ("101 probes", 400, "probes", lambda: _with(good(probes=_many_probes(101)))),
        ("1001 processes", 400, PROCESSES, lambda: _with(good(probes=_services(1001)))),
        ("metrics 40 deep", 400, None, lambda: _with(_nested(40))),
        ("metrics 5000 deep", 400, None, lambda: _with(_nested(5000))),
    ]


PROCESSES = "probes.services.metrics.processes"


def _many_probes(count: int) -> dict[str, Any]:
    return {f"probe{n}": {"status": "ok"} for n in range(count)}


def _services(processes: int) -> dict[str, Any]:
    listed = {f"p{n}": {"running": False} for n in range(processes)}
    return {"services": {"status": "critical", "metrics": {"processes": listed}}}


def _nested(depth: int) -> bytes:
    """A report with a metric ``depth`` lists deep, written out (json.dumps would recurse)."""
    probes = {"system": {"status": "ok", "metrics": {"deep": "DEEP"}, "error": None}}
    body = protocol.encode(report_body(probes=probes))
    return body.replace(b'"DEEP"', b"[" * depth + b"]" * depth)


def _drop(body: bytes, key: str) -> bytes:
    data = json.loads(body)
    del data[key]
    return json.dumps(data).encode()


def _with(
    body: bytes, host: str = "pbx-1", key: str = HOST_KEY, age: int = 0
) -> tuple[bytes, dict[str, str]]:
    return body, signed(body, host=host, key=key, timestamp=int(time.time()) - age)


def _without(body: bytes, header: str) -> tuple[bytes, dict[str, str]]:
    headers = signed(body)
    return body, {k: v for k, v in headers.items() if not k.endswith(header)}


@pytest.mark.parametrize(
    ("case", "status", "field", "build"), _bad_requests(), ids=[c[0] for c in _bad_requests()]
)
async def test_it_refuses_bad_input_with_a_reason_and_changes_nothing(
    client: Any, case: str, status: int, field: str | None, build: Any
) -> None:
    db = client.app[DATABASE]
    before = await db.read(_snapshot)
    body, headers = build()
    response = await _post(client, body, headers)
    assert response.status == status, await response.text()
    answer = await response.json()
    assert answer["error"]
    if field is not None:
        assert answer.get("field") == field
    assert await db.read(_snapshot) == before


async def test_it_counts_accepted_and_rejected_reports_in_metrics(client: Any) -> None:
    body = protocol.encode(report_body(seq=1))
    await _post(client, body, signed(body))
    await _post(client, body, signed(body, key="cd" * 32))
    text = await (await client.get("/metrics")).text()
    assert "faultdesk_reports_accepted_total 1.0" in text
    assert 'faultdesk_reports_rejected_total{reason="unauthenticated"} 1.0' in text
    assert "faultdesk_ingest_latency_seconds_count 1.0" in text


async def test_it_reports_alive_and_ready(client: Any) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["status"] == "ok"


async def test_it_accepts_a_report_at_its_limits(client: Any) -> None:
    probes = {**_many_probes(MAX_PROBES - 1), **_services(MAX_ENTRIES)}
    body = protocol.encode(report_body(seq=1, probes=probes))
    assert (await _post(client, body, signed(body))).status == 200
