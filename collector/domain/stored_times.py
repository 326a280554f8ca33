"""Times inside stored words, such as an incident's timeline entries: written in UTC when the
event happens, in one form, and shown to each reader in their own zone when read.

An entry's words are written once and read by people in many zones, so a time in them is
written as ``2024-05-06 13:20 UTC`` (``stored_utc``) and a page finds each one again
(``split_stored_times``) to show it in its reader's zone. Entries written before this module
used the same form, so they read the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_FORMAT = "%Y-%m-%d %H:%M"
_STORED = re.compile(r"\b(\d{4}-\d\d-\d\d \d\d:\d\d) UTC\b")


def stored_utc(moment: datetime) -> str:
    """``2024-05-06 13:20 UTC``: a time as stored words name it."""
    return f"{moment.astimezone(UTC).strftime(_FORMAT)} UTC"


def split_stored_times(words: str) -> list[str | datetime]:
    """``words`` in order, each time named as ``stored_utc`` writes it given as an aware UTC
    datetime and the rest as text (a look-alike that is no real time stays text)."""
    pieces: list[str | datetime] = []
    last = 0
    for match in _STORED.finditer(words):
        try:
            moment = datetime.strptime(match.group(1), _FORMAT).replace(tzinfo=UTC)
        except ValueError:
            continue
        pieces.extend([words[last : match.start()], moment])
        last = match.end()
    pieces.append(words[last:])
    return [piece for piece in pieces if piece != ""]
