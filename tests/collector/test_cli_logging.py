"""What ``faultdesk-collector`` logs at its default level."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector import cli


@pytest.fixture
def restored_log_levels() -> Iterator[None]:
    root, scheduler = logging.getLogger(), logging.getLogger("apscheduler")
    saved = root.level, scheduler.level
    yield
    root.setLevel(saved[0])
    scheduler.setLevel(saved[1])


@pytest.mark.usefixtures("restored_log_levels")
def test_the_scheduler_does_not_log_every_job_run_at_the_default_level(
    tmp_path: Path, sqlite_url: str
) -> None:
    config = tmp_path / "collector.yaml"
    config.write_text(f"secret_key: 0123456789abcdef0123\ndatabase:\n  url: {sqlite_url}\n")
    logging.getLogger().setLevel(logging.INFO)  # as basicConfig sets it outside pytest
    assert cli.main(["check-config", "--config", str(config)]) == 0
    scheduler = logging.getLogger("apscheduler.executors.default")
    assert not scheduler.isEnabledFor(logging.INFO)
    assert scheduler.isEnabledFor(logging.WARNING)
