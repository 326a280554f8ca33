"""Reports the collector refused for good, set aside with its reason instead of deleted.

A 400 (malformed) or 413 (too large) says this report can never be accepted as it is, so
sending it again only holds up the reports behind it. It leaves the spool for the
``dead-letter`` folder inside ``spool_dir``: the body exactly as it was sent, as
``<seq>.json``, and beside it ``<seq>.reason.json`` with the collector's answer, for someone
to read later. Only the newest ``DEAD_LETTERS_KEPT`` are kept, so a collector that refuses
every report cannot fill the disk; the agent's counters keep the full count.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import NamedTuple

from agent.spool import write_atomically

log = logging.getLogger(__name__)

DEAD_LETTER_DIR = "dead-letter"
DEAD_LETTERS_KEPT = 50
_SEQ_DIGITS = 20
_BODY = ".json"
_REASON = ".reason.json"


class DeadLetter(NamedTuple):
    seq: int
    status: int | None
    reason: str
    refused_at: str  # RFC 3339, UTC
    path: Path  # the report's body


class DeadLetters:
    """The dead-letter folder: refused reports by ``seq``, each with the collector's reason."""

    def __init__(self, directory: Path, keep: int = DEAD_LETTERS_KEPT) -> None:
        self.directory = directory
        self.keep = keep

    def add(self, seq: int, body: bytes, status: int | None, reason: str, refused_at: str) -> Path:
        """Keep the refused report and why; returns where the body went."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self._path(seq, _BODY)
        write_atomically(path, body)
        why = {"seq": seq, "status": status, "reason": reason, "refused_at": refused_at}
        write_atomically(self._path(seq, _REASON), json.dumps(why, indent=1).encode())
        self._prune()
        return path

    def seqs(self) -> list[int]:
        """The seqs held, oldest first."""
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        stems = (name.removesuffix(_BODY) for name in names if name.endswith(_BODY))
        return sorted(int(stem) for stem in stems if stem.isdigit())

    def latest(self) -> DeadLetter | None:
        """The newest refused report and its reason (None when there is none)."""
        seqs = self.seqs()
        if not seqs:
            return None
        seq = seqs[-1]
        try:
            why = json.loads(self._path(seq, _REASON).read_bytes())
        except (OSError, ValueError):
            why = {}  # the body is there, its reason is not: still worth pointing at
        status = why.get("status")
        return DeadLetter(
            seq,
            status if isinstance(status, int) else None,
            str(why.get("reason", "reason not recorded")),
            str(why.get("refused_at", "")),
            self._path(seq, _BODY),
        )

    def _prune(self) -> None:
        seqs = self.seqs()
        for seq in seqs[: max(0, len(seqs) - self.keep)]:
            for suffix in (_BODY, _REASON):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._path(seq, suffix))
            log.info("dead-letter folder full: removed the oldest refused report, seq %d", seq)

    def _path(self, seq: int, suffix: str) -> Path:
        return self.directory / f"{seq:0{_SEQ_DIGITS}d}{suffix}"
