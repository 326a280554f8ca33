"""The real agent process: SIGTERM, SIGHUP reloads, the key file's mode, restarts and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent.daemon_setup import KEY, WAIT_S, wait_for, write_config
from tests.agent.stand_in_collector import StandInCollector

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]


def _start_agent(config: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    with (tmp_path / "agent.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=log,
        )


def _spool_depth(tmp_path: Path) -> int:
    return sum(1 for p in (tmp_path / "spool").glob("*.json") if p.name != "state.json")


def _stop(agent: subprocess.Popen[bytes]) -> int:
    agent.send_signal(signal.SIGTERM)
    return agent.wait(WAIT_S)


def test_it_exits_zero_on_sigterm(tmp_path: Path, collector: StandInCollector) -> None:
    agent = _start_agent(write_config(tmp_path, collector.url, interval_s=30), tmp_path)
    try:
        wait_for(lambda: len(collector.stored) == 1, "the first report")
        assert _stop(agent) == 0  # mid-way through a 30 s sleep
    finally:
        agent.kill()
    assert "SIGTERM received" in (tmp_path / "agent.log").read_text()


def test_it_reloads_on_sighup_and_keeps_running_on_a_bad_file(
    tmp_path: Path, collector: StandInCollector
) -> None:
    config = write_config(tmp_path, collector.url, interval_s=30)
    agent = _start_agent(config, tmp_path)
    log = tmp_path / "agent.log"
    try:
        wait_for(lambda: len(collector.stored) == 1, "the first report")
        agent.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration reloaded" in log.read_text(), "the reload")
        config.write_text(config.read_text().replace("interval_s: 30", "interval_s: soon"))
        agent.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload refused" in log.read_text(), "the refused reload")
        assert agent.poll() is None
        assert _stop(agent) == 0
    finally:
        agent.kill()
    assert "interval_s: must be a number > 0" in log.read_text()


def test_it_refuses_to_start_with_a_key_file_others_can_read(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9")
    (tmp_path / "host.key").chmod(0o644)
    agent = _start_agent(config, tmp_path)
    assert agent.wait(WAIT_S) == 2
    output = (tmp_path / "agent.log").read_text()
    assert "accessible by group or others (mode 0644)" in output and KEY not in output


def test_it_delivers_every_seq_once_in_order_through_outages_restarts_and_kill_9(
    tmp_path: Path, collector: StandInCollector
) -> None:
    config = write_config(tmp_path, collector.url)
    agent = _start_agent(config, tmp_path)
    try:
        wait_for(lambda: len(collector.stored) >= 3, "live reports")
        collector.stop()  # the collector goes away mid-stream
        wait_for(lambda: _spool_depth(tmp_path) >= 3, "reports spooled while it is down")
        assert _stop(agent) == 0
        agent = _start_agent(config, tmp_path)  # a clean restart, spool still full
        depth = _spool_depth(tmp_path)
        wait_for(lambda: _spool_depth(tmp_path) >= depth + 3, "more spooled after restart")
        agent.kill()  # kill -9, at whatever point it had reached
        agent.wait(WAIT_S)
        agent = _start_agent(config, tmp_path)
        depth = _spool_depth(tmp_path)
        wait_for(lambda: _spool_depth(tmp_path) >= depth + 2, "spooled after kill -9")
        collector.start()  # back, on the same address
        wait_for(lambda: _spool_depth(tmp_path) <= 1, "the spool to drain")
        count = len(collector.stored)
        wait_for(lambda: len(collector.stored) >= count + 3, "live reports again")
        assert _stop(agent) == 0
    finally:
        agent.kill()
    leftover = sorted(int(p.stem) for p in (tmp_path / "spool").glob("0*.json"))
    stored = collector.stored
    assert stored == list(range(stored[0], stored[0] + len(stored)))  # each once, in order
    assert leftover == list(range(stored[-1] + 1, stored[-1] + 1 + len(leftover)))
    first_arrivals = list(dict.fromkeys(collector.posts))
    assert first_arrivals == stored
