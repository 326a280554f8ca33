"""The on-disk spool of undelivered reports, and the agent's persisted state (``seq``).

Every report is written here *before* it is sent and leaves only once the collector has
accepted it, or refused it for good (then it moves to the dead-letter folder), so a report is
never only in memory: a collector outage, an agent restart or a ``kill -9`` at any moment
leaves it on disk, and the next run replays it. A report sent but not yet removed when the
agent dies is sent again; the collector stores each ``seq`` once.

Files are named by zero-padded ``seq`` so the directory lists oldest first, and are written
atomically (temporary file, fsync, rename, fsync of the directory): a crash leaves either the
whole report or nothing. The spool is bounded by total size and age; the oldest reports are
dropped first and the count is handed to the next report.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

_SUFFIX = ".json"
_SEQ_DIGITS = 20
STATE_FILE = "state.json"


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new content."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Spooled(NamedTuple):
    size: int
    written_at: float


class Spool:
    """Undelivered report bodies by ``seq``, oldest first, within a size and an age limit."""

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        max_age_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self._clock = clock
        self._items: dict[int, _Spooled] = {}
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._load()

    def _load(self) -> None:
        found: list[tuple[int, _Spooled]] = []
        with os.scandir(self.directory) as entries:  # closed even if a stat fails midway
            for item in entries:
                if item.name.startswith(".") and item.name.endswith(".tmp"):
                    os.unlink(item.path)  # a write the previous run did not finish
                elif item.name.endswith(_SUFFIX) and item.name[: -len(_SUFFIX)].isdigit():
                    info = item.stat()
                    seq = int(item.name[: -len(_SUFFIX)])
                    found.append((seq, _Spooled(info.st_size, info.st_mtime)))
        self._items = dict(sorted(found))

    def __len__(self) -> int:
        return len(self._items)

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self._items.values())

    def seqs(self) -> list[int]:
        return list(self._items)

    def oldest_seq(self) -> int | None:
        return next(iter(self._items), None)

    def max_seq(self) -> int | None:
        return max(self._items, default=None)

    def oldest_age_s(self) -> float | None:
        first = next(iter(self._items.values()), None)
        return None if first is None else max(0.0, self._clock() - first.written_at)

    def add(self, seq: int, body: bytes) -> int:
        """Store one report; return how many older reports were dropped to stay in bounds."""
        write_atomically(self._path(seq), body)
        self._items[seq] = _Spooled(len(body), self._clock())
        if seq < max(self._items):
            self._items = dict(sorted(self._items.items()))
        return self.enforce_bounds(keep=seq)

    def read(self, seq: int) -> bytes:
        return self._path(seq).read_bytes()

    def remove(self, seq: int) -> None:
        """Forget a delivered report. No fsync: if the removal is lost, it is sent again."""
        self._items.pop(seq, None)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(seq))

    def enforce_bounds(self, keep: int | None = None) -> int:
        """Drop the oldest reports that are too old or over the size limit (never ``keep``)."""
        now = self._clock()
        total = self.total_bytes
        dropped = 0
        for seq, item in list(self._items.items()):
            if seq == keep:
                break
            if total <= self.max_bytes and now - item.written_at <= self.max_age_s:
                break
            self.remove(seq)
            total -= item.size
            dropped += 1
        if dropped:
            log.warning("spool full or expired: dropped the %d oldest undelivered reports", dropped)
        return dropped

    def _path(self, seq: int) -> Path:
        return self.directory / f"{seq:0{_SEQ_DIGITS}d}{_SUFFIX}"


#: What the agent counts over its life, kept in the state file across restarts: reports the
#: collector accepted, attempts that failed and were kept to retry, reports the collector
#: refused for good (set aside in the dead-letter folder), and reports lost to the spool limits.
TOTALS = ("delivered", "retried", "dead_lettered", "dropped")


class AgentState:
    """What must outlive the process: the last ``seq`` used, drops and dead letters not yet
    reported, the running totals, and what the event detectors remember (the boot time,
    Asterisk's startup time...)."""

    def __init__(
        self,
        path: Path,
        seq: int = 0,
        dropped: int = 0,
        memory: dict[str, Any] | None = None,
        dead_lettered: int = 0,
        totals: dict[str, int] | None = None,
    ) -> None:
        self.path = path
        self.seq = seq
        self.dropped = dropped
        self.dead_lettered = dead_lettered
        self.totals = {name: (totals or {}).get(name, 0) for name in TOTALS}
        self.memory: dict[str, Any] = memory if memory is not None else {}

    @classmethod
    def read(cls, path: Path) -> AgentState:
        """The saved state; raises OSError or ValueError when it cannot be read."""
        raw = json.loads(path.read_bytes())
        try:
            totals = raw.get("totals", {})
            return cls(
                path,
                seq=int(raw.get("seq", 0)),
                dropped=int(raw.get("dropped", 0)),
                memory=dict(raw.get("memory", {})),
                dead_lettered=int(raw.get("dead_lettered", 0)),
                totals={name: int(totals.get(name, 0)) for name in TOTALS},
            )
        except (AttributeError, TypeError) as exc:  # JSON, but not shaped as a state
            raise ValueError(f"not an agent state: {exc}") from None

    @classmethod
    def load(cls, path: Path) -> AgentState:
        try:
            return cls.read(path)
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            # Starting again from the clock (see next_seq) keeps seq increasing regardless.
            log.error("agent state %s unreadable (%s); starting a new one", path, exc)
            return cls(path)

    def note_delivered(self) -> None:
        self.totals["delivered"] += 1

    def note_retried(self) -> None:
        self.totals["retried"] += 1

    def note_dead_lettered(self) -> None:
        self.dead_lettered += 1
        self.totals["dead_lettered"] += 1

    def note_dropped(self, count: int) -> None:
        self.dropped += count
        self.totals["dropped"] += count

    def next_seq(self, spooled_max: int | None, now: float | None = None) -> int:
        """The next ``seq``: above every one used or spooled.

        A host with no state at all (new install, lost disk) starts at the current Unix time,
        above anything an earlier install of the same host could have sent, so the collector
        never mistakes new reports for ones it already stored.
        """
        start = self.seq or int(time.time() if now is None else now)
        self.seq = max(start, spooled_max or 0) + 1
        return self.seq

    def save(self) -> None:
        body = {
            "seq": self.seq,
            "dropped": self.dropped,
            "dead_lettered": self.dead_lettered,
            "totals": self.totals,
            "memory": self.memory,
        }
        write_atomically(self.path, json.dumps(body, separators=(",", ":")).encode())
