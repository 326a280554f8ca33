"""The on-call engineer's link in a page: the incident and the person paged, signed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.notify.links import InvalidLink, read_link
from collector.security import tokens
from collector.security.tokens import Purpose

__all__ = ["InvalidLink", "PageClaim", "make_page_token", "read_page_token"]

_EXPIRED = (
    "this link has expired; acknowledge the page in the dashboard or with "
    "faultdesk-collector page ack"
)


@dataclass(frozen=True)
class PageClaim:
    incident_id: int
    person: str


def make_page_token(secret: str, incident_id: int, person: str, expires_at: datetime) -> str:
    return tokens.issue(secret, Purpose.PAGE_LINK, {"i": incident_id, "p": person}, expires_at)


def read_page_token(secret: str, token: str, now: datetime) -> PageClaim:
    """The link's claim; ``InvalidLink`` when forged, altered, of another purpose or expired."""
    incident_id, person = read_link(secret, Purpose.PAGE_LINK, token, now, ("i", "p"), _EXPIRED)
    try:
        return PageClaim(int(incident_id), str(person))
    except (TypeError, ValueError) as exc:
        raise InvalidLink("this link is not valid") from exc
