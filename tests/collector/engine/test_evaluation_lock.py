"""Collectors sharing one PostgreSQL database take turns at the fault engine: the report
evaluation, the heartbeat sweep and stored probe results each hold one advisory lock until
their transaction ends, so none of them decides from check states another is overwriting."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text

from collector.config.settings import CollectorConfig
from collector.engine import pipeline
from collector.engine import probe_results as probe_pipeline
from collector.store.engines import make_engine, migrate
from collector.store.locks import hold_evaluation_lock
from tests.support.postgres import postgres_schema_url

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
_TRY = text(
    "SELECT pg_try_advisory_xact_lock("
    "hashtextextended('faultdesk.evaluation:' || current_schema(), 0))"
)


@pytest.fixture
def database_url() -> Iterator[str]:
    """PostgreSQL alone: SQLite has no advisory locks."""
    with postgres_schema_url(f"t_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _free_for_another_collector(engine: Engine) -> bool:
    with engine.begin() as other:
        return bool(other.execute(_TRY).scalar())


def test_a_held_lock_makes_another_collector_wait_until_commit(engine: Engine) -> None:
    with engine.begin() as conn:
        hold_evaluation_lock(conn)
        assert not _free_for_another_collector(engine)
    assert _free_for_another_collector(engine)


def _plan_with_no_reports(conn: Connection, config: CollectorConfig) -> int:
    empty = pipeline.Plan(NOW, [], [], {}, [pipeline.Segment({})])
    return pipeline.apply_plan(conn, config, empty)


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(lambda conn, config: pipeline.sweep(conn, config, NOW), id="sweep"),
        pytest.param(_plan_with_no_reports, id="report evaluation"),
        pytest.param(
            lambda conn, config: probe_pipeline.record_runs(conn, config, [], NOW),
            id="probe results",
        ),
    ],
)
def test_each_engine_step_holds_the_lock_for_its_whole_transaction(
    engine: Engine, config: CollectorConfig, step: Callable[[Connection, CollectorConfig], Any]
) -> None:
    with engine.begin() as conn:
        step(conn, config)
        assert not _free_for_another_collector(engine)
    assert _free_for_another_collector(engine)


def test_sqlite_needs_no_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'faultdesk.db'}")
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    with engine.begin() as conn:
        hold_evaluation_lock(conn)  # SQLite has one writer at a time already
    engine.dispose()
    assert sent == []
