"""Reading secrets (the host signing key) from files only their owner can read.

A key another local user can read lets that user forge this host's reports, so the agent
refuses to start rather than warn. The key's text never appears in a message.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class KeyFileError(Exception):
    """The key file is missing, unreadable, empty or open to other users."""


def read_secret_file(path: Path, what: str = "key file") -> str:
    """The file's text, stripped; refuses files that group or others may read or write."""
    try:
        # O_NOFOLLOW-free on purpose: packagers link /etc files; the mode is checked on the
        # opened file itself, so a swap between check and read is not possible.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot open {what}: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"{path}: {what} is not a regular file")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"{path}: {what} is accessible by group or others (mode {mode:04o}); "
                f"refusing to use it: run 'chmod 600 {path}'"
            )
        raw = os.read(fd, 64 * 1024)
    finally:
        os.close(fd)
    try:
        secret = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise KeyFileError(f"{path}: {what} is not UTF-8 text") from exc
    if not secret:
        raise KeyFileError(f"{path}: {what} is empty")
    return secret


def read_host_key(path: Path) -> bytes:
    """The host's signing key as the collector uses it: the text it showed, as bytes."""
    return read_secret_file(path, "host key file").encode()


def open_to_others(path: Path) -> int | None:
    """The file's mode when group or others may use it, else None (also when it is missing)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None
