"""Signing in, one database step at a time around the password check, which runs elsewhere
(``collector.security.passwords.HashingPool``) so it never holds a database thread.

Throttling: ``ACCOUNT_LIMIT`` failures for one name, or ``ADDRESS_LIMIT`` from one address,
within ``WINDOW`` block that name (or address) until ``WINDOW`` after the latest failure.
While blocked no password is checked and no failure counted. The block is recorded in the
audit log and mailed to the account's owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.notify import account_messages
from collector.operations.announced_days import customer_tier, customer_zone
from collector.store import archive, audit, customer_users, login_failures, operators, sessions

ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 30
WINDOW = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class Account:
    """Who a session belongs to: an operator, or a customer user (``customer_id`` set)."""

    kind: str  # "operator" or "customer"
    id: int
    name: str
    role: str
    customer_id: str | None = None
    totp_secret: str | None = None
    #: An operator's own display zone (None: the vendor's).
    timezone: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Candidate:
    account: Account | None
    password_hash: str | None


def _from_operator(op: operators.Operator) -> Account:
    return Account("operator", op.id, op.username, op.role, None, op.totp_secret, op.timezone)


def _from_user(user: customer_users.CustomerUser) -> Account:
    return Account("customer", user.id, user.email, user.role, user.customer_id)


def account(conn: Connection, kind: str, account_id: int) -> Account | None:
    if kind == "operator":
        found = operators.get_operator(conn, account_id)
        return _from_operator(found) if found else None
    user = customer_users.get_user(conn, account_id)
    return _from_user(user) if user and _served(conn, user) else None


def _served(conn: Connection, user: customer_users.CustomerUser) -> bool:
    """A customer user of an archived customer signs in no more (their sessions end too)."""
    return not archive.is_archived_customer(conn, user.customer_id)


def blocked_until(conn: Connection, name: str, address: str, now: datetime) -> datetime | None:
    """When sign-in for this name from this address is allowed again, if it is blocked now."""
    since = now - WINDOW
    for key, limit in (("account", ACCOUNT_LIMIT), ("address", ADDRESS_LIMIT)):
        value = {"account": name, "address": address}[key]
        if value and login_failures.failures_since(conn, since, **{key: value}) >= limit:
            newest = login_failures.newest_failure(conn, **{key: value})
            return (newest or now) + WINDOW
    return None


def candidate(conn: Connection, name: str) -> Candidate:
    """The account a name signs in as (an operator's user name, or a customer user's email)."""
    if "@" in name:
        found = customer_users.login_record(conn, name)
        if found is None or not _served(conn, found[0]):
            return Candidate(None, None)
        return Candidate(_from_user(found[0]), found[1])
    record = operators.login_record(conn, name)
    return Candidate(_from_operator(record[0]), record[1]) if record else Candidate(None, None)


def failed(
    conn: Connection, name: str, address: str, now: datetime, config: CollectorConfig
) -> datetime | None:
    """Count a failure; returns the end of the block when this failure starts one."""
    login_failures.record_failure(conn, name, address, now)
    found = candidate(conn, name).account
    customer_id = found.customer_id if found else None
    audit.record(
        conn, at=now, actor=name, action="login.failed", customer_id=customer_id, address=address
    )
    count = login_failures.failures_since(conn, now - WINDOW, account=name)
    if count != ACCOUNT_LIMIT:
        return None
    until = now + WINDOW
    audit.record(
        conn,
        at=now,
        actor=name,
        action="login.locked",
        customer_id=customer_id,
        address=address,
        detail={"failures": count, "until": until.isoformat()},
    )
    if found is not None:
        recipient = found.name if found.kind == "customer" else config.mail.noc
        zone = _zone_of(conn, found, config, now)
        account_messages.lockout(
            conn, recipient=recipient, account=name, until=until, zone=zone, failures=count, now=now
        )
    return until


def _zone_of(conn: Connection, who: Account, config: CollectorConfig, now: datetime) -> tzinfo:
    """The zone the account's owner reads times in: a customer user's customer's (as their
    fault mails and portal pages), an operator's chosen one (else the vendor's)."""
    if who.customer_id:
        tier = customer_tier(conn, who.customer_id, now, config)
        name = customer_zone(conn, who.customer_id, tier, config)
    else:
        name = who.timezone or config.dashboard.timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def succeeded(
    conn: Connection, who: Account, address: str, now: datetime, totp_step: int | None = None
) -> str | None:
    """Start a session; returns its secret for the cookie.

    With a second factor, ``totp_step`` is the step of the code given: a step already used
    signs nobody in (None), so each code works once.
    """
    if who.totp_secret is not None and (
        totp_step is None or not operators.claim_totp_step(conn, who.id, totp_step)
    ):
        return None
    login_failures.forget_failures(conn, who.name)
    secret = sessions.start_session(conn, who.kind, who.id, now, now + SESSION_TTL, address)
    audit.record(
        conn, at=now, actor=who.actor, action="login", customer_id=who.customer_id, address=address
    )
    return secret


def signed_out(conn: Connection, secret: str, who: Account, address: str, now: datetime) -> None:
    if sessions.end_session(conn, secret, now):
        audit.record(
            conn,
            at=now,
            actor=who.actor,
            action="logout",
            customer_id=who.customer_id,
            address=address,
        )


def end_all_sessions(
    conn: Connection, whose: Account, by: Account, address: str, now: datetime
) -> int:
    ended = sessions.end_account_sessions(conn, whose.kind, whose.id, now)
    audit.record(
        conn,
        at=now,
        actor=by.actor,
        action="sessions.ended",
        target=whose.actor,
        customer_id=whose.customer_id,
        address=address,
        detail={"sessions": ended},
    )
    return ended


def session_account(conn: Connection, secret: str, now: datetime) -> Account | None:
    """The account of a live session (None once it ended, expired, or its account went)."""
    record = sessions.live_session(conn, secret, now)
    return account(conn, record.account_kind, record.account_id) if record else None
