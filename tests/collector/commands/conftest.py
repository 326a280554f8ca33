"""The ``admin`` fixture: admin commands run in-process on a fresh SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.admin_cli import Admin


@pytest.fixture
def admin(tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> Iterator[Admin]:
    config = tmp_path / "collector.yaml"
    config.write_text(f"secret_key: 0123456789abcdef0123\ndatabase:\n  url: {sqlite_url}\n")
    yield Admin(config, sqlite_url, capsys)
