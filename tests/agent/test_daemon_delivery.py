"""Delivery from the spool: replay in order, refusals for now and for good, dead letters, drops."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from agent import protocol
from agent.cli import main
from tests.agent.daemon_setup import KEY, configured_agent, spooled
from tests.agent.stand_in_collector import StandInCollector

pytestmark = pytest.mark.integration


def test_it_spools_while_the_collector_is_down_and_replays_in_order(
    tmp_path: Path, collector: StandInCollector
) -> None:
    agent = configured_agent(tmp_path, collector.url)
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
    agent = configured_agent(tmp_path, collector.url)
    agent.sample_once()
    before = spooled(agent)[0]
    agent.deliver_spool()
    assert collector.stored == [before["seq"]]
    assert before["host"] == "pbx-1" and before["sampled_at"].endswith("Z")
    assert set(before["probes"]) == {"system", "spool"}


@pytest.mark.parametrize("status", [403, 408, 429, 500, 503])
def test_it_keeps_a_report_refused_for_now_and_delivers_it_later(
    tmp_path: Path, collector: StandInCollector, status: int
) -> None:
    agent = configured_agent(tmp_path, collector.url)
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
    agent = configured_agent(tmp_path, collector.url)
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
    agent = configured_agent(tmp_path, collector.url)
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
    report = spooled(agent)[0]
    event = protocol.dead_lettered_event(1, bad, status, reason, str(folder))
    assert report["events"] == [event]
    spool = report["probes"]["spool"]
    assert spool["status"] == "warning" and spool["metrics"]["dead_lettered"] == 1
    assert spool["metrics"]["dead_lettered_total"] == 1
    agent.deliver_spool()
    assert collector.stored == [good, announcing]
    agent.sample_once()
    assert spooled(agent)[0]["events"] == []  # told once

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
    agent = configured_agent(tmp_path, collector.url, spool_max_bytes=1)
    collector.stop()
    for _ in range(4):
        agent.sample_once()
    assert len(agent.spool) == 1  # only the newest fits
    assert _dropped_in_state(tmp_path) == 1
    newest = spooled(agent)[0]
    assert newest["probes"]["spool"]["metrics"]["dropped"] == 1
    assert newest["probes"]["spool"]["status"] == "warning"
    assert {"kind": "spool_dropped", "count": 1} in newest["events"]


def _dropped_in_state(tmp_path: Path) -> int:
    return int(json.loads((tmp_path / "spool" / "state.json").read_text())["dropped"])
