"""The host key file: read only when nobody but its owner can touch it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.keyfile import KeyFileError, read_host_key

KEY = "ab" * 32


def _key_file(tmp_path: Path, mode: int, text: str = KEY + "\n") -> Path:
    path = tmp_path / "host.key"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_it_reads_the_key_as_the_collector_uses_it(tmp_path: Path) -> None:
    assert read_host_key(_key_file(tmp_path, 0o600)) == KEY.encode()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_it_refuses_a_key_file_others_can_read_or_write(tmp_path: Path, mode: int) -> None:
    path = _key_file(tmp_path, mode)
    with pytest.raises(KeyFileError) as caught:
        read_host_key(path)
    message = str(caught.value)
    assert f"mode {mode:04o}" in message and f"chmod 600 {path}" in message
    assert KEY not in message


def test_it_refuses_an_empty_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="is empty"):
        read_host_key(_key_file(tmp_path, 0o400, "\n"))


def test_it_names_a_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=r"missing\.key: cannot open host key file"):
        read_host_key(tmp_path / "missing.key")


def test_it_refuses_a_directory(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="not a regular file"):
        read_host_key(directory)
