"""The agent tests' stand-in collector, listening on loopback for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agent.daemon_setup import KEY
from tests.agent.stand_in_collector import StandInCollector


@pytest.fixture
def collector() -> Iterator[StandInCollector]:
    server = StandInCollector(KEY.encode())
    server.start()
    yield server
    server.stop()
