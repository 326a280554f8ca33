"""The agent → collector wire protocol: headers, signing and the report envelope.

Both sides import this module, so the signature the agent makes and the one the collector
checks can never drift apart. Standard library only: it runs on customer hosts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

REPORTS_PATH = "/api/v1/reports"
HOST_HEADER = "X-Faultdesk-Host"
TIMESTAMP_HEADER = "X-Faultdesk-Timestamp"
SIGNATURE_HEADER = "X-Faultdesk-Signature"
SIGNATURE_PREFIX = "sha256="

#: How far a report's timestamp may be from the collector's clock before it is refused.
MAX_CLOCK_SKEW_S = 300
#: Largest report body the collector accepts.
MAX_BODY_BYTES = 1024 * 1024

#: Probe status values, worst last.
PROBE_STATUSES = ("ok", "warning", "critical", "error")


def sign(key: bytes, timestamp: int, body: bytes) -> str:
    """Return the signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def signature_matches(key: bytes, timestamp: int, body: bytes, signature: str) -> bool:
    """Constant-time check of a signature header against the body."""
    return hmac.compare_digest(sign(key, timestamp, body), signature)


def signed_headers(host_id: str, key: bytes, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        HOST_HEADER: host_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(key, timestamp, body),
    }


def rfc3339(moment: datetime) -> str:
    """UTC timestamp as RFC 3339 with a ``Z`` suffix."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_report(
    *,
    host_id: str,
    seq: int,
    sampled_at: datetime,
    interval_s: float,
    agent_version: str,
    probes: dict[str, dict[str, Any]],
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The report body.

    ``probes`` maps a probe name to ``{"status": ..., "metrics": {...}, "error": str | None}``.
    ``events`` are one-off happenings the agent noticed (a reboot, an Asterisk restart).
    """
    return {
        "host": host_id,
        "seq": seq,
        "sampled_at": rfc3339(sampled_at),
        "interval_s": interval_s,
        "agent_version": agent_version,
        "probes": probes,
        "events": events or [],
    }


#: Event kinds the agent itself sends; every event has a ``kind`` and the collector keeps its
#: other fields as sent (probes add their own kinds: ``reboot``, ``asterisk_restart``...).
SPOOL_DROPPED = "spool_dropped"
DEAD_LETTERED = "reports_dead_lettered"


def dead_lettered_event(
    count: int, seq: int, status: int | None, reason: str, folder: str
) -> dict[str, Any]:
    """``count`` reports refused for good (400, 413) since the previous report, and set aside
    in ``folder`` on the host; the newest of them was ``seq``, refused with ``status`` and the
    collector's ``reason``."""
    return {
        "kind": DEAD_LETTERED,
        "count": count,
        "seq": seq,
        "status": status,
        "reason": reason,
        "folder": folder,
    }


def encode(report: dict[str, Any]) -> bytes:
    return json.dumps(report, separators=(",", ":"), sort_keys=True).encode()
