"""The agent daemon: sampling, spooling, delivery in order, signals, restarts and kill -9.

The collector here is a stand-in that checks signatures with agent.protocol and stores each
``seq`` once, answering a repeated one as already stored, like the real collector does.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agent import protocol
from agent.cli import main
from agent.config import AgentConfig, load_config
from agent.daemon import Agent, ConfiguredProbe, sample_probes
from agent.probes.base import entry

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
KEY = "cd" * 32
WAIT_S = 60.0  # only a guard against hanging; nothing below depends on speed


class StandInCollector:
    """``POST /api/v1/reports`` like the collector: verify, store each seq once, answer seq."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.stored: list[int] = []
        self.posts: list[int] = []
        self.refusals: dict[int, tuple[int, str]] = {}  # seq: (HTTP status, reason)
        self.lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen (again, on the same port after a stop)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        timestamp = int(headers.get(protocol.TIMESTAMP_HEADER, "0"))
        signature = headers.get(protocol.SIGNATURE_HEADER, "")
        if abs(time.time() - timestamp) > protocol.MAX_CLOCK_SKEW_S or not (
            protocol.signature_matches(self.key, timestamp, body, signature)
        ):
            return 401, {"reason": "bad signature"}
        seq = json.loads(body)["seq"]
        with self.lock:
            self.posts.append(seq)
            if seq in self.refusals:
                status, reason = self.refusals[seq]
                return status, {"error": reason}
            if seq not in self.stored:
                self.stored.append(seq)
        return 200, {"seq": seq}


def _handler_for(collector: StandInCollector) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, answer = collector.answer(self.headers, body)
            raw = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def collector() -> Iterator[StandInCollector]:
    server = StandInCollector(KEY.encode())
    server.start()
    yield server
    server.stop()


def _write_config(tmp_path: Path, url: str, **extra: Any) -> Path:
    key_file = tmp_path / "host.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    lines = {
        "collector_url": url,
        "host_id": "pbx-1",
        "key_file": str(key_file),
        "spool_dir": str(tmp_path / "spool"),
        "interval_s": 0.2,
        "timeout_s": 5,
        **extra,
    }
    path = tmp_path / "agent.yaml"
    path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in lines.items()))
    return path


def _agent(tmp_path: Path, url: str, **extra: Any) -> Agent:
    path = _write_config(tmp_path, url, **extra)
    config: AgentConfig = load_config(path)
    return Agent(path, config, KEY.encode())


def _spooled(agent: Agent) -> list[dict[str, Any]]:
    return [json.loads(agent.spool.read(seq)) for seq in agent.spool.seqs()]


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


# --- one cycle at a time, in process ----------------------------------------------------------


def test_it_turns_a_probe_with_non_json_data_into_an_error_entry(
    tmp_path: Path, collector: StandInCollector
) -> None:
    agent = _agent(tmp_path, collector.url)
    agent.probes.append(ConfiguredProbe("odd", lambda: entry("ok", {"when": object()})))
    agent.sample_once()
    report = _spooled(agent)[0]
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


def test_it_spools_while_the_collector_is_down_and_replays_in_order(
    tmp_path: Path, collector: StandInCollector
) -> None:
    agent = _agent(tmp_path, collector.url)
    collector.stop()
    seqs = [agent.sample_once() for _ in range(3)]
    agent.deliver_spool()
    assert agent.spool.seqs() == seqs
    collector.start()
    live = agent.sample_once()
    agent.deliver_spool()
    assert collector.stored == [*seqs, live]
    assert len(agent.spool) == 0


def test_it_keeps_original_seq_and_sample_time_in_replayed_reports(
    tmp_path: Path, collector: StandInCollector
) -> None:
    agent = _agent(tmp_path, collector.url)
    agent.sample_once()
    before = _spooled(agent)[0]
    agent.deliver_spool()
    assert collector.stored == [before["seq"]]
    assert before["host"] == "pbx-1" and before["sampled_at"].endswith("Z")
    assert set(before["probes"]) == {"system", "spool"}


@pytest.mark.parametrize("status", [403, 408, 429, 500, 503])
def test_it_keeps_a_report_refused_for_now_and_delivers_it_later(
    tmp_path: Path, collector: StandInCollector, status: int
) -> None:
    agent = _agent(tmp_path, collector.url)
    seq = agent.sample_once()
    assert seq is not None
    collector.refusals[seq] = (status, "not now")
    agent.deliver_spool()
    assert agent.spool.seqs() == [seq] and collector.stored == []
    del collector.refusals[seq]
    agent.deliver_spool()
    assert collector.stored == [seq] and len(agent.spool) == 0
    assert _state(tmp_path)["totals"] == {
        "delivered": 1,
        "retried": 1,
        "dead_lettered": 0,
        "dropped": 0,
    }
    assert not (tmp_path / "spool" / "dead-letter").exists()


def test_it_keeps_reports_the_collector_cannot_authenticate_and_says_why(
    tmp_path: Path, collector: StandInCollector, caplog: pytest.LogCaptureFixture
) -> None:
    agent = _agent(tmp_path, collector.url)
    seq = agent.sample_once()
    collector.key = b"a key the collector has since rotated"
    with caplog.at_level(logging.ERROR):
        agent.deliver_spool()
    assert agent.spool.seqs() == [seq] and collector.stored == []
    hint = f"the host key in {tmp_path / 'host.key'} or this host's clock is probably wrong"
    assert f"report seq {seq} refused (HTTP 401: bad signature): {hint}" in caplog.text
    collector.key = KEY.encode()  # the key put right
    agent.deliver_spool()
    assert collector.stored == [seq] and len(agent.spool) == 0
    assert _state(tmp_path)["totals"]["retried"] == 1


@pytest.mark.parametrize(("status", "reason"), [(400, "probes: invalid"), (413, "body over")])
def test_it_sets_a_report_refused_for_good_aside_and_tells_the_next_report(
    tmp_path: Path,
    collector: StandInCollector,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    status: int,
    reason: str,
) -> None:
    agent = _agent(tmp_path, collector.url)
    bad, good = agent.sample_once(), agent.sample_once()
    assert bad is not None and good is not None
    sent = agent.spool.read(bad)
    collector.refusals[bad] = (status, reason)
    with caplog.at_level(logging.ERROR):
        agent.deliver_spool()
    assert collector.stored == [good] and len(agent.spool) == 0
    folder = tmp_path / "spool" / "dead-letter"
    assert f"refused report seq {bad} for good (HTTP {status}: {reason})" in caplog.text
    assert (folder / f"{bad:020d}.json").read_bytes() == sent
    why = json.loads((folder / f"{bad:020d}.reason.json").read_text())
    assert (why["seq"], why["status"], why["reason"]) == (bad, status, reason)
    assert _state(tmp_path)["totals"] == {
        "delivered": 1,
        "retried": 0,
        "dead_lettered": 1,
        "dropped": 0,
    }

    announcing = agent.sample_once()
    report = _spooled(agent)[0]
    event = protocol.dead_lettered_event(1, bad, status, reason, str(folder))
    assert report["events"] == [event]
    spool = report["probes"]["spool"]
    assert spool["status"] == "warning" and spool["metrics"]["dead_lettered"] == 1
    assert spool["metrics"]["dead_lettered_total"] == 1
    agent.deliver_spool()
    assert collector.stored == [good, announcing]
    agent.sample_once()
    assert _spooled(agent)[0]["events"] == []  # told once

    assert main(["check", "--config", str(agent.config_path)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "dead_letters" in line)
    assert row.split()[1] == "warning"
    assert f"1 reports refused by the collector and set aside in {folder}" in row
    assert f"latest seq {bad} at " in row and f"HTTP {status}: {reason}" in row


def _state(tmp_path: Path) -> dict[str, Any]:
    return dict(json.loads((tmp_path / "spool" / "state.json").read_text()))


def test_it_reports_how_many_spooled_reports_the_limits_dropped(
    tmp_path: Path, collector: StandInCollector
) -> None:
    agent = _agent(tmp_path, collector.url, spool_max_bytes=1)
    collector.stop()
    for _ in range(4):
        agent.sample_once()
    assert len(agent.spool) == 1  # only the newest fits
    assert _dropped_in_state(tmp_path) == 1
    newest = _spooled(agent)[0]
    assert newest["probes"]["spool"]["metrics"]["dropped"] == 1
    assert newest["probes"]["spool"]["status"] == "warning"
    assert {"kind": "spool_dropped", "count": 1} in newest["events"]


def _dropped_in_state(tmp_path: Path) -> int:
    return int(json.loads((tmp_path / "spool" / "state.json").read_text())["dropped"])


def test_it_sees_a_reboot_that_happened_while_it_was_not_running(
    tmp_path: Path, collector: StandInCollector
) -> None:
    first = _agent(tmp_path, collector.url)
    first.sample_once()
    first.state.memory["system"]["boot_time"] -= 3600  # as if this run began an hour ago
    first.state.save()
    second = _agent(tmp_path, collector.url)
    second.sample_once()
    events = _spooled(second)[-1]["events"]
    assert [e["kind"] for e in events] == ["reboot"]


def test_it_keeps_the_running_config_when_a_reload_finds_a_bad_file(
    tmp_path: Path, collector: StandInCollector, caplog: pytest.LogCaptureFixture
) -> None:
    agent = _agent(tmp_path, collector.url)
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
    agent = _agent(tmp_path, collector.url)
    worker = threading.Thread(target=agent.run_forever)
    worker.start()
    _wait_for(lambda: len(collector.stored) >= 2, "two reports")
    agent.request_stop()
    worker.join(WAIT_S)
    assert not worker.is_alive()
    assert collector.stored == sorted(collector.stored)


# --- the real agent process -------------------------------------------------------------------


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
    agent = _start_agent(_write_config(tmp_path, collector.url, interval_s=30), tmp_path)
    try:
        _wait_for(lambda: len(collector.stored) == 1, "the first report")
        assert _stop(agent) == 0  # mid-way through a 30 s sleep
    finally:
        agent.kill()
    assert "SIGTERM received" in (tmp_path / "agent.log").read_text()


def test_it_reloads_on_sighup_and_keeps_running_on_a_bad_file(
    tmp_path: Path, collector: StandInCollector
) -> None:
    config = _write_config(tmp_path, collector.url, interval_s=30)
    agent = _start_agent(config, tmp_path)
    log = tmp_path / "agent.log"
    try:
        _wait_for(lambda: len(collector.stored) == 1, "the first report")
        agent.send_signal(signal.SIGHUP)
        _wait_for(lambda: "configuration reloaded" in log.read_text(), "the reload")
        config.write_text(config.read_text().replace("interval_s: 30", "interval_s: soon"))
        agent.send_signal(signal.SIGHUP)
        _wait_for(lambda: "reload refused" in log.read_text(), "the refused reload")
        assert agent.poll() is None
        assert _stop(agent) == 0
    finally:
        agent.kill()
    assert "interval_s: must be a number > 0" in log.read_text()


def test_it_refuses_to_start_with_a_key_file_others_can_read(tmp_path: Path) -> None:
    config = _write_config(tmp_path, "http://127.0.0.1:9")
    (tmp_path / "host.key").chmod(0o644)
    agent = _start_agent(config, tmp_path)
    assert agent.wait(WAIT_S) == 2
    output = (tmp_path / "agent.log").read_text()
    assert "accessible by group or others (mode 0644)" in output and KEY not in output


def test_it_delivers_every_seq_once_in_order_through_outages_restarts_and_kill_9(
    tmp_path: Path, collector: StandInCollector
) -> None:
    config = _write_config(tmp_path, collector.url)
    agent = _start_agent(config, tmp_path)
    try:
        _wait_for(lambda: len(collector.stored) >= 3, "live reports")
        collector.stop()  # the collector goes away mid-stream
        _wait_for(lambda: _spool_depth(tmp_path) >= 3, "reports spooled while it is down")
        assert _stop(agent) == 0
        agent = _start_agent(config, tmp_path)  # a clean restart, spool still full
        depth = _spool_depth(tmp_path)
        _wait_for(lambda: _spool_depth(tmp_path) >= depth + 3, "more spooled after restart")
        agent.kill()  # kill -9, at whatever point it had reached
        agent.wait(WAIT_S)
        agent = _start_agent(config, tmp_path)
        depth = _spool_depth(tmp_path)
        _wait_for(lambda: _spool_depth(tmp_path) >= depth + 2, "spooled after kill -9")
        collector.start()  # back, on the same address
        _wait_for(lambda: _spool_depth(tmp_path) <= 1, "the spool to drain")
        count = len(collector.stored)
        _wait_for(lambda: len(collector.stored) >= count + 3, "live reports again")
        assert _stop(agent) == 0
    finally:
        agent.kill()
    leftover = sorted(int(p.stem) for p in (tmp_path / "spool").glob("0*.json"))
    stored = collector.stored
    assert stored == list(range(stored[0], stored[0] + len(stored)))  # each once, in order
    assert leftover == list(range(stored[-1] + 1, stored[-1] + 1 + len(leftover)))
    first_arrivals = list(dict.fromkeys(collector.posts))
    assert first_arrivals == stored
