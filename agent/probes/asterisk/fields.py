"""Single AMI field values into numbers and times.

Asterisk writes numbers, durations and clock times as text, with its own spellings for
"nothing yet" ("N/A" until a contact is qualified) and different forms across versions; these
functions absorb that so a row never holds half-parsed text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_PEER_RTT = re.compile(r"\((\d+) ms\)")


def to_int(value: str | None) -> int | None:
    """An AMI number, or None for an absent or non-numeric value ("N/A")."""
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def count_channels(value: str | None) -> int:
    """``ActiveChannels`` is a comma list of channel ids on real PBXs, a number in the docs."""
    if not value:
        return 0
    if value.isascii() and value.isdigit():  # not "²", which int() refuses
        return int(value)
    return len([part for part in value.split(",") if part])


def hms_seconds(value: str | None) -> int:
    """A channel ``Duration`` ("HH:MM:SS") in seconds; 0 when it is absent or malformed."""
    parts = [to_int(part) for part in (value or "").split(":")]
    if len(parts) != 3 or any(part is None for part in parts):
        return 0
    hours, minutes, seconds = (part or 0 for part in parts)
    return hours * 3600 + minutes * 60 + seconds


def peer_rtt_ms(status: str) -> int | None:
    """The round trip in a chan_sip peer status: "OK (12 ms)", "LAGGED (2100 ms)", "UNREACHABLE"."""
    rtt = _PEER_RTT.search(status)
    return int(rtt.group(1)) if rtt else None


def pbx_time_utc(date: str | None, clock: str | None, zone: str) -> str | None:
    """CoreStatus local wall-clock date and time as UTC ISO 8601 (None when absent)."""
    if not date or not clock:
        return None
    try:
        naive = datetime.strptime(f"{date} {clock}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    if zone:
        from zoneinfo import ZoneInfo

        local = naive.replace(tzinfo=ZoneInfo(zone))
    else:
        local = naive.astimezone()  # a naive time is taken as this host's local time
    return local.astimezone(UTC).isoformat()
