"""Customer users: people of one customer who sign in to the portal, and their API tokens.

A customer user's every read and write is narrowed to their ``customer_id``; their tokens
carry nothing else (``user_for_token`` hands back the user, customer included).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from collector.store.inventory import AlreadyExists, NotFound
from collector.store.people_schema import customer_api_tokens, customer_users
from collector.store.schema import customers

ROLES = ("customer-admin", "customer")


@dataclass(frozen=True)
class CustomerUser:
    id: int
    customer_id: str
    email: str
    name: str
    role: str
    has_password: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "customer-admin"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "has_password": self.has_password,
        }


def _user(row: Any) -> CustomerUser:
    return CustomerUser(
        row.id, row.customer_id, row.email, row.name, row.role, row.password_hash is not None
    )


def normal_email(email: str) -> str:
    return email.strip().lower()


def add_user(
    conn: Connection, customer_id: str, email: str, role: str, now: datetime, name: str = ""
) -> CustomerUser:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if conn.execute(select(customers.c.id).where(customers.c.id == customer_id)).first() is None:
        raise NotFound(f"no customer {customer_id!r}")
    email = normal_email(email)
    if conn.execute(select(customer_users.c.id).where(customer_users.c.email == email)).first():
        raise AlreadyExists(f"a user {email!r} exists already")
    result = conn.execute(
        insert(customer_users).values(
            customer_id=customer_id,
            email=email,
            name=name or email[:200],  # shown until they give a name; an address can be longer
            role=role,
            created_at=now,
        )
    )
    new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return CustomerUser(new_id, customer_id, email, name or email, role, False)


def get_user(conn: Connection, user_id: int) -> CustomerUser | None:
    row = conn.execute(select(customer_users).where(customer_users.c.id == user_id)).first()
    return _user(row) if row else None


def user_by_email(conn: Connection, email: str) -> CustomerUser | None:
    query = select(customer_users).where(customer_users.c.email == normal_email(email))
    row = conn.execute(query).first()
    return _user(row) if row else None


def login_record(conn: Connection, email: str) -> tuple[CustomerUser, str | None] | None:
    """The user and their password hash (None until they set one)."""
    query = select(customer_users).where(customer_users.c.email == normal_email(email))
    row = conn.execute(query).first()
    return (_user(row), row.password_hash) if row else None


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(
        update(customer_users)
        .where(customer_users.c.id == user_id)
        .values(password_hash=password_hash)
    )


def list_users(conn: Connection, customer_id: str | None = None) -> list[CustomerUser]:
    query = select(customer_users).order_by(customer_users.c.customer_id, customer_users.c.email)
    if customer_id is not None:
        query = query.where(customer_users.c.customer_id == customer_id)
    return [_user(row) for row in conn.execute(query)]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: Connection, email: str, name: str, now: datetime) -> str:
    """A new API token that sees only the user's customer; returned once, only its digest kept."""
    user = user_by_email(conn, email)
    if user is None:
        raise NotFound(f"no customer user {email!r}")
    token = "fdc_" + secrets.token_urlsafe(32)
    conn.execute(
        insert(customer_api_tokens).values(
            user_id=user.id, name=name, token_sha256=_digest(token), created_at=now
        )
    )
    return token


def user_for_token(conn: Connection, token: str) -> CustomerUser | None:
    row = conn.execute(
        select(customer_users)
        .join_from(customer_api_tokens, customer_users)
        .join(customers, customers.c.id == customer_users.c.customer_id)
        # An archived customer's tokens open nothing (its users cannot sign in either).
        .where(
            customer_api_tokens.c.token_sha256 == _digest(token),
            customers.c.archived_at.is_(None),
        )
    ).first()
    return _user(row) if row else None


@dataclass(frozen=True)
class CustomerTokenInfo:
    """A customer user's token as listed: never the token itself, which is not stored."""

    id: int
    email: str
    name: str
    created_at: datetime


def list_tokens(conn: Connection, email: str | None = None) -> list[CustomerTokenInfo]:
    query = (
        select(
            customer_api_tokens.c.id,
            customer_users.c.email,
            customer_api_tokens.c.name,
            customer_api_tokens.c.created_at,
        )
        .join_from(customer_api_tokens, customer_users)
        .order_by(customer_api_tokens.c.id)
    )
    if email is not None:
        if user_by_email(conn, email) is None:
            raise NotFound(f"no customer user {email!r}")
        query = query.where(customer_users.c.email == normal_email(email))
    return [CustomerTokenInfo(*row) for row in conn.execute(query)]


def revoke_token(conn: Connection, token_id: int) -> CustomerTokenInfo:
    """Delete the token: the next request that presents it is refused (401)."""
    found = [token for token in list_tokens(conn) if token.id == token_id]
    if not found:
        raise NotFound(f"no customer API token c{token_id}")
    conn.execute(delete(customer_api_tokens).where(customer_api_tokens.c.id == token_id))
    return found[0]
