"""Signed, expiring links an engineer follows from a page to acknowledge the incident.

Built like the customer's acknowledgement links (``ack_links``) but signed for another purpose,
so a customer's link can never stop paging and a page link can never acknowledge a fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.notify.ack_links import InvalidLink
from collector.security import tokens
from collector.security.tokens import Purpose

__all__ = ["InvalidLink", "PageClaim", "make_page_token", "read_page_token"]


@dataclass(frozen=True)
class PageClaim:
    incident_id: int
    person: str


def make_page_token(secret: str, incident_id: int, person: str, expires_at: datetime) -> str:
    return tokens.issue(secret, Purpose.PAGE_LINK, {"i": incident_id, "p": person}, expires_at)


def read_page_token(secret: str, token: str, now: datetime) -> PageClaim:
    """The link's claim; ``InvalidLink`` when forged, altered, of another purpose or expired."""
    try:
        claim = tokens.verify(secret, Purpose.PAGE_LINK, token, now)
        return PageClaim(int(claim["i"]), str(claim["p"]))
    except tokens.ExpiredToken as exc:
        raise InvalidLink(
            "this link has expired; acknowledge the page in the dashboard or with "
            "faultdesk-collector page ack",
            expired=True,
        ) from exc
    except (tokens.InvalidToken, KeyError, TypeError, ValueError) as exc:
        raise InvalidLink("this link is not valid") from exc
