"""Signed, expiring links an engineer follows from a page to acknowledge the incident.

Built like the customer's acknowledgement links (``ack_links``) but signed for another purpose:
the HMAC covers ``page-ack.`` + payload where a customer link covers ``ack.`` + payload, so a
customer's link can never stop paging and a page link can never acknowledge a fault.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from collector.notify.ack_links import InvalidLink

__all__ = ["InvalidLink", "PageClaim", "make_page_token", "read_page_token"]

_PURPOSE = b"page-ack."


@dataclass(frozen=True)
class PageClaim:
    incident_id: int
    person: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), _PURPOSE + payload.encode(), hashlib.sha256).digest()
    return _b64(digest)


def make_page_token(secret: str, incident_id: int, person: str, expires_at: datetime) -> str:
    claim = {"i": incident_id, "p": person, "x": int(expires_at.timestamp())}
    payload = _b64(json.dumps(claim, separators=(",", ":")).encode())
    return f"{payload}.{_mac(secret, payload)}"


def read_page_token(secret: str, token: str, now: datetime) -> PageClaim:
    """The link's claim; ``InvalidLink`` when forged, altered, of another purpose or expired."""
    payload, _, mac = token.partition(".")
    if not payload or not mac or not hmac.compare_digest(mac, _mac(secret, payload)):
        raise InvalidLink("this link is not valid")
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claim = PageClaim(
            int(data["i"]), str(data["p"]), datetime.fromtimestamp(int(data["x"]), UTC)
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidLink("this link is not valid") from exc
    if claim.expires_at <= now:
        raise InvalidLink(
            "this link has expired; acknowledge the page in the dashboard or with "
            "faultdesk-collector page ack"
        )
    return claim
