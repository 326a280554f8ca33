"""Fixtures shared by every layer: databases (SQLite and PostgreSQL), a collector config and a
runner for the collector's commands."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collector.config.settings import CollectorConfig
from collector.store.database import Database
from tests.support.cli import Cli, write_config
from tests.support.collector import collector_config
from tests.support.database import migrated_database
from tests.support.postgres import postgres_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a throwaway schema on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'faultdesk.db'}"
        return
    with postgres_schema_url(f"t_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'faultdesk.db'}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """``database_url`` migrated to the newest schema, behind the collector's ``Database``.

    A module that runs on SQLite alone overrides ``database_url`` to return ``sqlite_url``.
    """
    with migrated_database(database_url) as database:
        yield database


@pytest.fixture
def config_settings() -> dict[str, Any]:
    """What a module sets in its ``config`` beyond the defaults (``CollectorConfig`` fields):
    a module overrides this fixture, not ``config``."""
    return {}


@pytest.fixture
def config(database_url: str, tmp_path: Path, config_settings: dict[str, Any]) -> CollectorConfig:
    """A collector config on ``database_url`` with the module's ``config_settings``."""
    return collector_config(database_url, tmp_path, **config_settings)


@pytest.fixture
def cli(tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The collector's commands, run in-process with a config file on a fresh SQLite database."""
    return Cli(write_config(tmp_path / "collector.yaml", sqlite_url), sqlite_url, capsys)
