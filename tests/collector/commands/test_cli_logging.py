"""What ``faultdesk-collector`` logs at its default level."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector import cli


@pytest.fixture
def restored_log_levels() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in ("", "apscheduler", "asyncssh")]
    saved = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, saved, strict=True):
        logger.setLevel(level)


@pytest.mark.usefixtures("restored_log_levels")
def test_the_scheduler_and_ssh_library_do_not_log_every_run_at_the_default_level(
    tmp_path: Path, sqlite_url: str
) -> None:
    config = tmp_path / "collector.yaml"
    config.write_text(f"secret_key: 0123456789abcdef0123\ndatabase:\n  url: {sqlite_url}\n")
    logging.getLogger().setLevel(logging.INFO)  # as basicConfig sets it outside pytest
    assert cli.main(["check-config", "--config", str(config)]) == 0
    for name in ("apscheduler.executors.default", "asyncssh"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        assert logging.getLogger(name).isEnabledFor(logging.WARNING), name
    assert logging.getLogger("collector.jobs.probe_scheduler").isEnabledFor(logging.INFO)
