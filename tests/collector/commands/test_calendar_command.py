"""``faultdesk-collector calendar announce|list|withdraw`` through the CLI, on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector import cli


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Path:
    path = tmp_path / "collector.yaml"
    path.write_text(f"secret_key: 0123456789abcdef0123\ndatabase:\n  url: {sqlite_url}\n")
    return path


def _run(capsys: pytest.CaptureFixture[str], config: Path, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["calendar", *argv, "--config", str(config)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_it_announces_lists_and_withdraws_a_day(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys, config, "announce", "uk-office", "2026-12-24", "--hours", "09:00-12:00",
        "--reason", "Christmas Eve", "--by", "alice",
    )  # fmt: skip
    assert code == 0, err
    assert out == "Announcement #1: Thu 24 Dec 2026 open 09:00-12:00 on uk-office: Christmas Eve\n"
    code, out, _ = _run(capsys, config, "list")
    assert "uk-office  2026-12-24  09:00-12:00  Christmas Eve  alice  in force" in out
    assert _run(capsys, config, "withdraw", "1", "--by", "bob")[0] == 0
    assert "withdrawn by bob" in _run(capsys, config, "list", "--all")[1]
    code, _, err = _run(capsys, config, "withdraw", "1", "--by", "bob")
    assert code == 2 and "already withdrawn" in err


def test_it_refuses_an_unknown_calendar_naming_the_known_ones(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys, config, "announce", "moon", "2026-12-24", "--reason", "x", "--by", "alice"
    )
    assert (code, out) == (2, "")
    assert "unknown calendar 'moon'; one of" in err and "uk-office" in err
