"""What ``faultdesk-collector`` logs at its default level."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.support.cli import Cli


@pytest.fixture
def restored_log_levels() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in ("", "apscheduler", "asyncssh")]
    saved = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, saved, strict=True):
        logger.setLevel(level)


@pytest.mark.usefixtures("restored_log_levels")
def test_the_scheduler_and_ssh_library_do_not_log_every_run_at_the_default_level(
    cli: Cli,
) -> None:
    logging.getLogger().setLevel(logging.INFO)  # as basicConfig sets it outside pytest
    assert cli("check-config").code == 0
    for name in ("apscheduler.executors.default", "asyncssh"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        assert logging.getLogger(name).isEnabledFor(logging.WARNING), name
    assert logging.getLogger("collector.jobs.probe_scheduler").isEnabledFor(logging.INFO)
