"""Signed, expiring acknowledgement links for the customer's email.

The token carries the fault and the recipient, signed for this purpose alone
(``collector.security.tokens``): nothing to store, and a forged or altered link is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.security import tokens
from collector.security.tokens import Purpose


class InvalidLink(ValueError):
    """A link that cannot be used; ``expired`` tells a genuine old link from a bad one."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class AckClaim:
    fault_id: int
    recipient: str


def make_token(secret: str, fault_id: int, recipient: str, expires_at: datetime) -> str:
    return tokens.issue(secret, Purpose.ACK_LINK, {"f": fault_id, "r": recipient}, expires_at)


def read_token(secret: str, token: str, now: datetime) -> AckClaim:
    try:
        claim = tokens.verify(secret, Purpose.ACK_LINK, token, now)
        return AckClaim(int(claim["f"]), str(claim["r"]))
    except tokens.ExpiredToken as exc:
        raise InvalidLink(
            "this link has expired; the fault can be acknowledged in the dashboard", expired=True
        ) from exc
    except (tokens.InvalidToken, KeyError, TypeError, ValueError) as exc:
        raise InvalidLink("this link is not valid") from exc
