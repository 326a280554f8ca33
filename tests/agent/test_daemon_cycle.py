"""One agent in process, a cycle at a time: sampling, a reboot seen, reloads and stopping."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from agent.daemon import ConfiguredProbe, sample_probes
from agent.probes.base import entry
from tests.agent.daemon_setup import WAIT_S, configured_agent, spooled, wait_for
from tests.agent.stand_in_collector import StandInCollector

pytestmark = pytest.mark.integration


def test_it_turns_a_probe_with_non_json_data_into_an_error_entry(
    tmp_path: Path, collector: StandInCollector
) -> None:
    agent = configured_agent(tmp_path, collector.url)
    agent.probes.append(ConfiguredProbe("odd", lambda: entry("ok", {"when": object()})))
    agent.sample_once()
    report = spooled(agent)[0]
    assert report["probes"]["odd"]["status"] == "error"
    assert report["probes"]["system"]["status"] == "ok"


def test_it_keeps_reporting_when_one_probe_fails() -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("AMI exploded")

    probes = [
        ConfiguredProbe("broken", broken),
        ConfiguredProbe("fine", lambda: entry("ok", {"answer": 42})),
    ]
    entries, events = sample_probes(probes, {})
    assert entries["broken"] == entry("error", {}, "RuntimeError: AMI exploded")
    assert entries["fine"] == entry("ok", {"answer": 42})
    assert events == []


def test_it_sees_a_reboot_that_happened_while_it_was_not_running(
    tmp_path: Path, collector: StandInCollector
) -> None:
    first = configured_agent(tmp_path, collector.url)
    first.sample_once()
    first.state.memory["system"]["boot_time"] -= 3600  # as if this run began an hour ago
    first.state.save()
    second = configured_agent(tmp_path, collector.url)
    second.sample_once()
    events = spooled(second)[-1]["events"]
    assert [e["kind"] for e in events] == ["reboot"]


def test_it_keeps_the_running_config_when_a_reload_finds_a_bad_file(
    tmp_path: Path, collector: StandInCollector, caplog: pytest.LogCaptureFixture
) -> None:
    agent = configured_agent(tmp_path, collector.url)
    config_path = agent.config_path
    config_path.write_text(config_path.read_text().replace("interval_s: 0.2", "interval_s: 5"))
    agent.reload()
    assert agent.config.interval_s == 5
    config_path.write_text(config_path.read_text() + "bogus_key: 1\n")
    with caplog.at_level(logging.ERROR):
        agent.reload()
    assert agent.config.interval_s == 5
    assert "reload refused" in caplog.text and "bogus_key: unknown key" in caplog.text


def test_it_stops_its_loop_on_request(tmp_path: Path, collector: StandInCollector) -> None:
    agent = configured_agent(tmp_path, collector.url)
    worker = threading.Thread(target=agent.run_forever)
    worker.start()
    wait_for(lambda: len(collector.stored) >= 2, "two reports")
    agent.request_stop()
    worker.join(WAIT_S)
    assert not worker.is_alive()
    assert collector.stored == sorted(collector.stored)
