"""The SQLite data directory is 0700 and the database files 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.store.engines import make_engine, migrate


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The umask of a root shell (022): what `faultdesk-collector migrate` by hand runs with."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_it_creates_the_data_directory_and_database_files_private(tmp_path: Path) -> None:
    database = tmp_path / "var" / "lib" / "faultdesk" / "collector.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        migrate(engine)
        with engine.connect() as conn:  # WAL mode: the -wal and -shm files exist while open
            conn.exec_driver_sql("SELECT 1")
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert {path.name: mode(path) for path in files} == {p.name: 0o600 for p in files}
    finally:
        engine.dispose()
    for directory in (database.parent, database.parent.parent, database.parent.parent.parent):
        assert mode(directory) == 0o700, directory


@pytest.mark.usefixtures("open_umask")
def test_it_takes_others_access_away_from_an_existing_database(tmp_path: Path) -> None:
    database = tmp_path / "collector.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    shared_parent = mode(tmp_path)
    make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o600
    assert mode(tmp_path) == shared_parent
