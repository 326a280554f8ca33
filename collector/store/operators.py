"""Operator accounts (argon2 password hashes) and their API tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, insert, select, update

from collector.domain.contracts import known_zone
from collector.store.inventory import AlreadyExists, NotFound
from collector.store.people_schema import api_tokens, operators

_hasher = PasswordHasher()


ROLES = ("admin", "operator")
ZONE_LENGTH = 64


@dataclass(frozen=True)
class Operator:
    id: int
    username: str
    #: "admin" manages operators and tokens too; "operator" does everything else.
    role: str = "admin"
    totp_secret: str | None = None
    #: The IANA zone pages show this operator's times in; None: the vendor's.
    timezone: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _operator(row: Any) -> Operator:
    return Operator(row.id, row.username, row.role, row.totp_secret, row.timezone)


def add_operator(
    conn: Connection,
    username: str,
    password: str,
    now: datetime,
    role: str = "admin",
    timezone: str | None = None,
) -> Operator:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    display_zone(timezone)
    if conn.execute(select(operators.c.id).where(operators.c.username == username)).first():
        raise AlreadyExists(f"operator {username!r} exists already")
    result = conn.execute(
        insert(operators).values(
            username=username,
            password_hash=_hasher.hash(password),
            created_at=now,
            role=role,
            timezone=timezone,
        )
    )
    operator_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return Operator(operator_id, username, role, timezone=timezone)


def login_record(conn: Connection, username: str) -> tuple[Operator, str] | None:
    """The operator of that name and their password hash, checked by the caller off this
    thread (``collector.security.passwords``)."""
    row = conn.execute(select(operators).where(operators.c.username == username)).first()
    return (_operator(row), row.password_hash) if row else None


def set_totp_secret(conn: Connection, username: str, secret: str | None) -> None:
    result = conn.execute(
        update(operators)
        .where(operators.c.username == username)
        .values(totp_secret=secret, totp_last_step=None)
    )
    if not result.rowcount:
        raise NotFound(f"no operator {username!r}")


def claim_totp_step(conn: Connection, operator_id: int, step: int) -> bool:
    """Record ``step`` as used; False when it, or a later one, was used already (a replay).

    One conditional UPDATE, so two sign-ins racing with the same code cannot both win.
    """
    last = operators.c.totp_last_step
    result = conn.execute(
        update(operators)
        .where(operators.c.id == operator_id, (last.is_(None)) | (last < step))
        .values(totp_last_step=step)
    )
    return bool(result.rowcount)


def display_zone(name: str | None) -> str | None:
    """``name`` when it can be an operator's zone (None: the vendor's), else a ValueError that
    says why without echoing a name longer than the column."""
    if name is None:
        return None
    if len(name) > ZONE_LENGTH:
        raise ValueError(f"a time zone name has at most {ZONE_LENGTH} characters")
    return known_zone(name)


def set_timezone(conn: Connection, username: str, timezone: str | None) -> None:
    """The zone the operator reads times in (None: back to the vendor's); a ValueError names
    a zone that is not an IANA one."""
    display_zone(timezone)
    result = conn.execute(
        update(operators).where(operators.c.username == username).values(timezone=timezone)
    )
    if not result.rowcount:
        raise NotFound(f"no operator {username!r}")


def set_password(conn: Connection, username: str, password: str) -> None:
    result = conn.execute(
        update(operators)
        .where(operators.c.username == username)
        .values(password_hash=_hasher.hash(password))
    )
    if not result.rowcount:
        raise NotFound(f"no operator {username!r}")


def check_password(conn: Connection, username: str, password: str) -> Operator | None:
    row = conn.execute(select(operators).where(operators.c.username == username)).first()
    if row is None:
        _hasher.hash(password)  # same work either way: no timing hint that the name exists
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return _operator(row)


def get_operator(conn: Connection, operator_id: int) -> Operator | None:
    row = conn.execute(select(operators).where(operators.c.id == operator_id)).first()
    return _operator(row) if row else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: Connection, username: str, name: str, now: datetime) -> str:
    """A new API token for the operator; returned once, only its digest is kept."""
    row = conn.execute(select(operators.c.id).where(operators.c.username == username)).first()
    if row is None:
        raise NotFound(f"no operator {username!r}")
    token = "fd_" + secrets.token_urlsafe(32)
    conn.execute(
        insert(api_tokens).values(
            operator_id=row.id, name=name, token_sha256=_digest(token), created_at=now
        )
    )
    return token


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never the token itself, which is not stored."""

    id: int
    username: str
    name: str
    created_at: datetime


def list_tokens(conn: Connection, username: str | None = None) -> list[TokenInfo]:
    query = (
        select(api_tokens.c.id, operators.c.username, api_tokens.c.name, api_tokens.c.created_at)
        .join_from(api_tokens, operators)
        .order_by(api_tokens.c.id)
    )
    if username is not None:
        known = select(operators.c.id).where(operators.c.username == username)
        if conn.execute(known).first() is None:
            raise NotFound(f"no operator {username!r}")
        query = query.where(operators.c.username == username)
    return [TokenInfo(*row) for row in conn.execute(query)]


def revoke_token(conn: Connection, token_id: int) -> TokenInfo:
    """Delete the token: the next request that presents it is refused (401)."""
    found = [token for token in list_tokens(conn) if token.id == token_id]
    if not found:
        raise NotFound(f"no API token #{token_id}")
    conn.execute(delete(api_tokens).where(api_tokens.c.id == token_id))
    return found[0]


def operator_for_token(conn: Connection, token: str) -> Operator | None:
    row = conn.execute(
        select(operators)
        .join_from(api_tokens, operators)
        .where(api_tokens.c.token_sha256 == _digest(token))
    ).first()
    return _operator(row) if row else None


def remove_operator(conn: Connection, username: str) -> int:
    """Delete the operator and their API tokens; how many tokens went with them. Their name
    stays wherever it was recorded (incident steps, acknowledgements): those are history."""
    operator_id = conn.scalar(select(operators.c.id).where(operators.c.username == username))
    if operator_id is None:
        raise NotFound(f"no operator {username!r}")
    tokens = conn.execute(delete(api_tokens).where(api_tokens.c.operator_id == operator_id))
    conn.execute(delete(operators).where(operators.c.id == operator_id))
    return int(tokens.rowcount or 0)
