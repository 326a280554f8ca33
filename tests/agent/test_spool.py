"""The spool on disk and the persisted seq counter."""

from __future__ import annotations

import stat
from pathlib import Path

from agent.spool import AgentState, Spool


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _spool(tmp_path: Path, max_bytes: int = 10_000, max_age_s: float = 3600, **kw: Clock) -> Spool:
    return Spool(tmp_path / "spool", max_bytes, max_age_s, **kw)


def test_it_keeps_reports_oldest_first_across_a_restart(tmp_path: Path) -> None:
    spool = _spool(tmp_path)
    for seq in (7, 8, 9):
        spool.add(seq, b'{"seq":%d}' % seq)
    spool.remove(7)
    reopened = _spool(tmp_path)
    assert reopened.seqs() == [8, 9]
    assert reopened.oldest_seq() == 8
    assert reopened.read(9) == b'{"seq":9}'
    assert reopened.total_bytes == 18


def test_it_names_files_so_the_directory_lists_in_seq_order(tmp_path: Path) -> None:
    spool = _spool(tmp_path)
    spool.add(9, b"x")
    spool.add(10, b"y")
    names = sorted(p.name for p in (tmp_path / "spool").iterdir())
    assert names == ["00000000000000000009.json", "00000000000000000010.json"]


def test_it_writes_files_only_the_agent_can_read(tmp_path: Path) -> None:
    spool = _spool(tmp_path)
    spool.add(1, b"{}")
    assert stat.S_IMODE((tmp_path / "spool").stat().st_mode) == 0o700
    assert stat.S_IMODE(next((tmp_path / "spool").iterdir()).stat().st_mode) == 0o600


def test_it_discards_a_half_written_file_left_by_a_crash(tmp_path: Path) -> None:
    _spool(tmp_path).add(1, b"{}")
    (tmp_path / "spool" / ".00000000000000000002.json.tmp").write_bytes(b'{"se')
    reopened = _spool(tmp_path)
    assert reopened.seqs() == [1]
    assert [p.name for p in (tmp_path / "spool").iterdir()] == ["00000000000000000001.json"]


def test_it_drops_the_oldest_reports_beyond_the_size_limit(tmp_path: Path) -> None:
    spool = _spool(tmp_path, max_bytes=250)
    assert spool.add(1, b"a" * 100) == 0
    assert spool.add(2, b"b" * 100) == 0
    assert spool.add(3, b"c" * 100) == 1
    assert spool.seqs() == [2, 3]
    assert spool.add(4, b"d" * 240) == 2
    assert spool.seqs() == [4]


def test_it_keeps_the_newest_report_even_when_it_alone_is_too_big(tmp_path: Path) -> None:
    spool = _spool(tmp_path, max_bytes=10)
    assert spool.add(1, b"x" * 50) == 0
    assert spool.seqs() == [1]


def test_it_drops_reports_older_than_the_age_limit(tmp_path: Path) -> None:
    clock = Clock()
    spool = _spool(tmp_path, max_age_s=100, clock=clock)
    spool.add(1, b"old")
    clock.now += 60
    spool.add(2, b"newer")
    clock.now += 50
    assert spool.oldest_age_s() == 110
    assert spool.enforce_bounds() == 1
    assert spool.seqs() == [2]


def test_it_drops_expired_reports_found_at_start(tmp_path: Path) -> None:
    clock = Clock()
    _spool(tmp_path, clock=clock).add(1, b"old")
    # The file's mtime is the real clock: seen from far in the future it has expired.
    assert _spool(tmp_path, max_age_s=1, clock=Clock(4_000_000_000.0)).enforce_bounds() == 1


def test_it_keeps_seq_increasing_across_restarts(tmp_path: Path) -> None:
    state = AgentState.load(tmp_path / "state.json")
    first = state.next_seq(None, now=1_700_000_000)
    state.next_seq(None)
    state.save()
    again = AgentState.load(tmp_path / "state.json")
    assert first == 1_700_000_001
    assert again.next_seq(None) == first + 2


def test_it_starts_above_any_spooled_report(tmp_path: Path) -> None:
    state = AgentState(tmp_path / "state.json", seq=10)
    assert state.next_seq(spooled_max=42) == 43


def test_it_starts_from_the_clock_when_the_state_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    state = AgentState.load(tmp_path / "state.json")
    assert state.next_seq(None, now=1_800_000_000) == 1_800_000_001


def test_it_persists_dropped_counts_and_detector_memory(tmp_path: Path) -> None:
    state = AgentState(tmp_path / "state.json", seq=5, dropped=3, memory={"system": {"b": 1}})
    state.save()
    again = AgentState.load(tmp_path / "state.json")
    assert (again.seq, again.dropped, again.memory) == (5, 3, {"system": {"b": 1}})


def test_it_keeps_the_totals_and_unannounced_dead_letters_across_restarts(tmp_path: Path) -> None:
    state = AgentState(tmp_path / "state.json")
    state.note_delivered()
    state.note_retried()
    state.note_retried()
    state.note_dead_lettered()
    state.note_dropped(4)
    state.save()
    again = AgentState.load(tmp_path / "state.json")
    assert again.totals == {"delivered": 1, "retried": 2, "dead_lettered": 1, "dropped": 4}
    assert (again.dead_lettered, again.dropped) == (1, 4)


def test_it_reads_a_state_saved_before_there_were_totals(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"seq": 9, "dropped": 2, "memory": {}}')
    state = AgentState.load(tmp_path / "state.json")
    assert (state.seq, state.dropped, state.dead_lettered) == (9, 2, 0)
    assert state.totals == {"delivered": 0, "retried": 0, "dead_lettered": 0, "dropped": 0}


def test_it_starts_a_new_state_when_the_file_is_json_of_another_shape(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("[1, 2]")
    assert AgentState.load(tmp_path / "state.json").seq == 0
