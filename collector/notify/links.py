"""Signed, expiring links in mail: nothing to store, and a forged or altered link is refused.

Each kind of link is a token of its own purpose (``collector.security.tokens``), so a customer's
acknowledgement link can never stop paging and a page link can never acknowledge a fault.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from collector.security import tokens
from collector.security.tokens import Purpose


class InvalidLink(ValueError):
    """A link that cannot be used; ``expired`` tells a genuine old link from a bad one."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def read_link(
    secret: str,
    purpose: Purpose,
    token: str,
    now: datetime,
    fields: tuple[str, ...],
    when_expired: str,
) -> list[Any]:
    """The values of ``fields`` in a genuine, unexpired link of ``purpose``; else InvalidLink,
    saying ``when_expired`` for a link that was genuine but is too old."""
    try:
        claim = tokens.verify(secret, purpose, token, now)
        return [claim[name] for name in fields]
    except tokens.ExpiredToken as exc:
        raise InvalidLink(when_expired, expired=True) from exc
    except (tokens.InvalidToken, KeyError, TypeError) as exc:
        raise InvalidLink("this link is not valid") from exc
