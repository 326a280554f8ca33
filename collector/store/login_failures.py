"""Failed sign-ins, counted per account name and per source address for throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from collector.store.people_schema import login_failures


def record_failure(conn: Connection, account: str, address: str, at: datetime) -> None:
    conn.execute(
        insert(login_failures).values(at=at, account=account.lower()[:320], address=address[:64])
    )


def failures_since(
    conn: Connection, since: datetime, *, account: str = "", address: str = ""
) -> int:
    query = select(func.count()).select_from(login_failures).where(login_failures.c.at > since)
    if account:
        query = query.where(login_failures.c.account == account.lower()[:320])
    if address:
        query = query.where(login_failures.c.address == address[:64])
    return int(conn.execute(query).scalar_one())


def newest_failure(conn: Connection, *, account: str = "", address: str = "") -> datetime | None:
    query = select(login_failures.c.at).order_by(login_failures.c.at.desc()).limit(1)
    if account:
        query = query.where(login_failures.c.account == account.lower()[:320])
    if address:
        query = query.where(login_failures.c.address == address[:64])
    return conn.execute(query).scalar()


def forget_failures(conn: Connection, account: str) -> None:
    """A successful sign-in clears the account's count (its address's count stands)."""
    conn.execute(delete(login_failures).where(login_failures.c.account == account.lower()[:320]))
