"""The customer's acknowledgement link in a fault mail: the fault and the recipient, signed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.notify.links import InvalidLink, read_link
from collector.security import tokens
from collector.security.tokens import Purpose

__all__ = ["AckClaim", "InvalidLink", "make_token", "read_token"]


@dataclass(frozen=True)
class AckClaim:
    fault_id: int
    recipient: str


def make_token(secret: str, fault_id: int, recipient: str, expires_at: datetime) -> str:
    return tokens.issue(secret, Purpose.ACK_LINK, {"f": fault_id, "r": recipient}, expires_at)


def read_token(secret: str, token: str, now: datetime) -> AckClaim:
    expired = "this link has expired; the fault can be acknowledged in the dashboard"
    fault_id, recipient = read_link(secret, Purpose.ACK_LINK, token, now, ("f", "r"), expired)
    try:
        return AckClaim(int(fault_id), str(recipient))
    except (TypeError, ValueError) as exc:
        raise InvalidLink("this link is not valid") from exc
