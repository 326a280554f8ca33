"""Single-use, expiring links that let a customer user set (or reset) their password.

Only the SHA-256 of a link's token is stored; ``use_link`` marks it used in the same
transaction that sets the password, so a link works once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, insert, select, update

from collector.store.people_schema import password_links


class LinkRefused(ValueError):
    """The link is unknown, used already, or expired; the message says which."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(
    conn: Connection, user_id: int, purpose: str, now: datetime, valid_for: timedelta
) -> str:
    """A new link token for the user (shown once, in the mail)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(password_links).values(
            token_sha256=_digest(token),
            user_id=user_id,
            purpose=purpose,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    return token


def links_since(conn: Connection, user_id: int, purpose: str, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(password_links)
        .where(
            password_links.c.user_id == user_id,
            password_links.c.purpose == purpose,
            password_links.c.created_at > since,
        )
    )
    return int(conn.execute(query).scalar_one())


def link_user(conn: Connection, token: str, now: datetime) -> int:
    """The user a usable link is for, or ``LinkRefused`` saying why not."""
    row = conn.execute(
        select(password_links).where(password_links.c.token_sha256 == _digest(token))
    ).first()
    if row is None:
        raise LinkRefused("This link is not valid. Ask for a new one.")
    if row.used_at is not None:
        raise LinkRefused("This link has been used already. Ask for a new one.")
    if row.expires_at <= now:
        raise LinkRefused("This link has expired. Ask for a new one.")
    return int(row.user_id)


def use_link(conn: Connection, token: str, now: datetime) -> int:
    """Mark the link used and return its user; refused if it is not usable."""
    user_id = link_user(conn, token, now)
    result = conn.execute(
        update(password_links)
        .where(password_links.c.token_sha256 == _digest(token), password_links.c.used_at.is_(None))
        .values(used_at=now)
    )
    if result.rowcount != 1:
        raise LinkRefused("This link has been used already. Ask for a new one.")
    return user_id
