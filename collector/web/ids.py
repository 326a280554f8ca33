"""Row ids and whole numbers as they arrive in paths and query strings.

Only ASCII digits count: Python's ``int()`` also reads ``٣``, `` 7 `` and ``1_000``, and
``str.isdigit()`` says yes to ``²``, which ``int()`` then refuses. Ids are bounded by the
smallest integer column they are looked up in (PostgreSQL's ``integer``), so a number past
it is simply a row that does not exist, never a database error.
"""

from __future__ import annotations

import re

#: The largest id any table can hold: PostgreSQL's ``integer`` (SQLite's is larger).
MAX_ID = 2**31 - 1

_DIGITS = re.compile(r"[0-9]{1,19}")


def unstorable(text: str) -> bool:
    """Text no id can hold, and the database cannot even be asked about: a NUL (PostgreSQL
    refuses it in any string) or an unpaired surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def whole_number(raw: str) -> int | None:
    """``raw`` as a non-negative whole number written in ASCII digits, else None."""
    if _DIGITS.fullmatch(raw) is None:
        return None
    return int(raw)


def row_id(raw: str) -> int | None:
    """``raw`` as a row id (1 to :data:`MAX_ID`), else None: no row has that id."""
    value = whole_number(raw)
    if value is None or not 1 <= value <= MAX_ID:
        return None
    return value
