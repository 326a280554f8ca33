"""The SQLite database's files are the collector's alone: they hold host keys and password
hashes. Whatever the umask (``faultdesk-collector migrate`` run by hand as root has 022), a
data directory the collector creates is 0700 and the database files are 0600.
"""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
#: SQLite's companions of the database file in WAL mode; it creates them with the database's mode.
SIDECARS = ("-wal", "-shm", "-journal")


def make_private_directory(directory: Path) -> None:
    """Create ``directory`` and any missing parents as 0700; existing ones are left alone
    (the parent may be shared, like /var/lib or /tmp)."""
    missing: list[Path] = []
    here = directory
    while not here.exists():
        missing.append(here)
        here = here.parent
    for path in reversed(missing):
        path.mkdir(mode=DIRECTORY_MODE, exist_ok=True)
        path.chmod(DIRECTORY_MODE)  # mkdir's mode is filtered by the umask


def make_private_database(database: Path) -> None:
    """Create ``database`` empty as 0600 if it does not exist; take group and others' access
    away from it (and its WAL files) if it does and this user owns it."""
    make_private_directory(database.parent)
    try:
        descriptor = os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        pass
    else:
        os.fchmod(descriptor, FILE_MODE)
        os.close(descriptor)
    for path in (database, *(Path(f"{database}{suffix}") for suffix in SIDECARS)):
        _restrict(path)


def _restrict(path: Path) -> None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    if status.st_uid == os.geteuid() and status.st_mode & 0o077:
        path.chmod(status.st_mode & 0o700)
