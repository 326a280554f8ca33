"""Schemathesis against the live collector: every operation of the OpenAPI document, with
schema-valid and schema-violating requests, held to every check schemathesis has (no server
error, documented status codes and shapes, valid data accepted, invalid data refused)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collector.app import create_app
from collector.operations import inventory as inventory_ops
from collector.operations.maintenance import NewMaintenanceWindow, create_window
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store.operators import add_operator, create_token
from collector.web.appkeys import CONFIG, DATABASE
from tests.support.collector import collector_config
from tests.support.live_app import LiveApp, serving

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
#: Bounded: enough to cross every boundary the coverage phase picks, in well under a minute.
MAX_EXAMPLES = 12


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[LiveApp]:
    app = create_app(collector_config(database_url, tmp_path), run_schedules=False)
    with serving(app) as live:
        yield live


def seed(live: LiveApp) -> str:
    """A customer, a host, a fault with its incident and a maintenance window, so ids 1 and
    ``acme``/``pbx-1`` exist; returns an operator's API token."""
    db, now = live.app[DATABASE], datetime.now(UTC)
    customer = inventory_ops.NewCustomer(id="acme", name="Acme", contacts=[])
    live.run(lambda: db.write(inventory_ops.create_customer, customer, now))
    host = inventory_ops.NewHost(id="pbx-1", customer_id="acme")
    live.run(lambda: db.write(inventory_ops.create_host, host, now, live.app[CONFIG]))
    fault = {"host_id": "pbx-1", "check_key": "heartbeat", "severity": "critical"}
    fault_id = live.run(
        lambda: db.write(fault_store.open_fault, **fault, title="Silent", detail="", at=now)
    )
    incident = {"customer_id": "acme", "tier": "cat1", "covered": True, "severity": "critical"}
    live.run(
        lambda: db.write(
            incident_store.open_incident,
            fault_id=fault_id,
            **incident,
            opened_at=now,
            response_due_at=None,
            policy={"tier": "cat1"},
        )
    )
    window = NewMaintenanceWindow(
        customer_id="acme", frequency="once", starts_at=now, ends_at=now + timedelta(hours=1)
    )
    live.run(lambda: db.write(create_window, window, "alice", now))
    live.run(lambda: db.write(add_operator, "alice", "correct horse battery", now))
    return live.run(lambda: db.write(create_token, "alice", "schemathesis", now))


def test_it_passes_every_schemathesis_check(live: LiveApp, tmp_path: Path) -> None:
    token = seed(live)
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{live.url}/api/v1/openapi.json",
        "--url",
        live.url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "16",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
