"""Signed, expiring acknowledgement links for the customer's email.

The token carries the fault, the recipient and an expiry, signed with the collector's secret:
nothing to store, and a forged or altered link fails the signature check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime


class InvalidLink(ValueError):
    """A token that is malformed, tampered with, or expired; the message says which."""


@dataclass(frozen=True)
class AckClaim:
    fault_id: int
    recipient: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), b"ack." + payload.encode(), hashlib.sha256).digest()
    return _b64(digest)


def make_token(secret: str, fault_id: int, recipient: str, expires_at: datetime) -> str:
    payload = _b64(
        json.dumps({"f": fault_id, "r": recipient, "x": int(expires_at.timestamp())}).encode()
    )
    return f"{payload}.{_mac(secret, payload)}"


def read_token(secret: str, token: str, now: datetime) -> AckClaim:
    payload, _, mac = token.partition(".")
    if not payload or not mac or not hmac.compare_digest(mac, _mac(secret, payload)):
        raise InvalidLink("this link is not valid")
    try:
        data = json.loads(_unb64(payload))
        claim = AckClaim(
            int(data["f"]), str(data["r"]), datetime.fromtimestamp(int(data["x"]), UTC)
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidLink("this link is not valid") from exc
    if claim.expires_at <= now:
        raise InvalidLink("this link has expired; the fault can be acknowledged in the dashboard")
    return claim
