"""Helpers for tests that talk to a collector application: config, hosts, signed reports."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import protocol
from collector.config.settings import CollectorConfig, DatabaseSettings, HttpSettings

SECRET = "test-secret-key-0123456789abcdef"
HOST_KEY = "ab" * 32


def collector_config(database_url: str, tmp_path: Path, **overrides: Any) -> CollectorConfig:
    return CollectorConfig(
        secret_key=SECRET,
        database=DatabaseSettings(url=database_url),
        http=HttpSettings(public_url="http://127.0.0.1:8080", secure_cookies=False),
        **overrides,
    )


def report_body(host: str = "pbx-1", seq: int = 1, **changes: Any) -> dict[str, Any]:
    body = protocol.build_report(
        host_id=host,
        seq=seq,
        sampled_at=datetime.now(UTC),
        interval_s=60,
        agent_version="test",
        probes={"system": {"status": "ok", "metrics": {"load1": 0.1}, "error": None}},
    )
    body.update(changes)
    return body


def signed(
    body: bytes, host: str = "pbx-1", key: str = HOST_KEY, timestamp: int | None = None
) -> dict[str, str]:
    return protocol.signed_headers(host, key.encode(), body, timestamp or int(time.time()))
