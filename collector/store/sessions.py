"""Login sessions, kept server-side so logging out, a password change and "end all sessions"
take effect on the next request, whoever holds a copy of the cookie.

The cookie carries a random secret; the table keeps only its SHA-256, so a copy of the
database lets nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from collector.store.people_schema import sessions


@dataclass(frozen=True)
class SessionRecord:
    id: int
    account_kind: str
    account_id: int
    created_at: datetime
    expires_at: datetime
    address: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(
    conn: Connection,
    account_kind: str,
    account_id: int,
    now: datetime,
    expires_at: datetime,
    address: str = "",
) -> str:
    """A new session for the account; returns the secret for its cookie (never stored)."""
    secret = secrets.token_urlsafe(32)
    conn.execute(
        insert(sessions).values(
            secret_sha256=_digest(secret),
            account_kind=account_kind,
            account_id=account_id,
            created_at=now,
            expires_at=expires_at,
            address=address[:64],
        )
    )
    return secret


def live_session(conn: Connection, secret: str, now: datetime) -> SessionRecord | None:
    """The session the secret opens, unless it has ended or expired."""
    row = conn.execute(
        select(sessions).where(
            sessions.c.secret_sha256 == _digest(secret),
            sessions.c.ended_at.is_(None),
            sessions.c.expires_at > now,
        )
    ).first()
    if row is None:
        return None
    return SessionRecord(
        row.id, row.account_kind, row.account_id, row.created_at, row.expires_at, row.address
    )


def end_session(conn: Connection, secret: str, now: datetime) -> bool:
    result = conn.execute(
        update(sessions)
        .where(sessions.c.secret_sha256 == _digest(secret), sessions.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    return bool(result.rowcount)


def end_account_sessions(
    conn: Connection, account_kind: str, account_id: int, now: datetime
) -> int:
    """End every session of one account (logout everywhere, a new password); how many."""
    result = conn.execute(
        update(sessions)
        .where(
            sessions.c.account_kind == account_kind,
            sessions.c.account_id == account_id,
            sessions.c.ended_at.is_(None),
        )
        .values(ended_at=now)
    )
    return int(result.rowcount)
