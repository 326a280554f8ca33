"""The dead-letter folder: reports the collector refused for good, each with its reason."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from agent.dead_letter import DeadLetters

AT = "2026-12-01T10:00:00Z"


def test_it_keeps_the_body_as_sent_and_the_collectors_reason_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "dead-letter"
    path = DeadLetters(folder).add(7, b'{"seq":7}', 400, "probes.system.status: bad", AT)
    assert path == folder / "00000000000000000007.json"
    assert path.read_bytes() == b'{"seq":7}'
    why = json.loads((folder / "00000000000000000007.reason.json").read_text())
    assert why == {"seq": 7, "status": 400, "reason": "probes.system.status: bad", "refused_at": AT}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}


def test_it_names_the_newest_refused_report(tmp_path: Path) -> None:
    dead_letters = DeadLetters(tmp_path / "dead-letter")
    dead_letters.add(9, b"{}", 413, "body over 1048576 bytes", AT)
    dead_letters.add(12, b"{}", 400, "seq: too big", AT)
    latest = dead_letters.latest()
    assert latest is not None
    assert (latest.seq, latest.status, latest.reason, latest.refused_at) == (
        12,
        400,
        "seq: too big",
        AT,
    )
    assert dead_letters.seqs() == [9, 12]


def test_it_keeps_only_the_newest_so_refusals_cannot_fill_the_disk(tmp_path: Path) -> None:
    dead_letters = DeadLetters(tmp_path / "dead-letter", keep=3)
    for seq in range(1, 6):
        dead_letters.add(seq, b"{}", 400, "bad", AT)
    assert dead_letters.seqs() == [3, 4, 5]
    assert len(list((tmp_path / "dead-letter").iterdir())) == 6


def test_it_has_nothing_to_show_before_the_first_refusal(tmp_path: Path) -> None:
    dead_letters = DeadLetters(tmp_path / "dead-letter")
    assert dead_letters.seqs() == [] and dead_letters.latest() is None
    assert not (tmp_path / "dead-letter").exists()


def test_it_still_points_at_a_report_whose_reason_was_lost(tmp_path: Path) -> None:
    dead_letters = DeadLetters(tmp_path / "dead-letter")
    dead_letters.add(3, b"{}", 400, "bad", AT)
    (tmp_path / "dead-letter" / "00000000000000000003.reason.json").unlink()
    latest = dead_letters.latest()
    assert latest is not None
    assert (latest.seq, latest.status, latest.reason) == (3, None, "reason not recorded")
