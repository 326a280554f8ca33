"""Operators for API tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, insert

from collector.store.people_schema import operators

CREATED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def operator_without_password(conn: Connection, username: str) -> None:
    """An API-only operator: no argon2 round, which would dominate these tests' time."""
    conn.execute(insert(operators).values(username=username, password_hash="!", created_at=CREATED))
