"""Mail about people's accounts: an invitation (or why none), a password reset, a lockout.

The links in them carry a single-use token; the token is in the mail and nowhere else (the
database keeps its SHA-256, the audit log never sees it).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.notify.messages import when
from collector.notify.outbox import enqueue


def password_link_url(config: CollectorConfig, token: str) -> str:
    return f"{config.http.public_url.rstrip('/')}/portal/password/{token}"


def invitation(
    conn: Connection,
    config: CollectorConfig,
    *,
    email: str,
    customer_name: str,
    token: str,
    valid_hours: int,
    now: datetime,
) -> None:
    body = (
        f"You have been given access to {customer_name}'s support portal, where you can see\n"
        "the status of your systems, acknowledge faults, and log and follow support tickets.\n\n"
        f"Choose your password here (the link works once, for {valid_hours} hours):\n\n"
        f"    {password_link_url(config, token)}\n\n"
        f"Then sign in at {config.http.public_url.rstrip('/')}/login with {email}.\n"
    )
    subject = f"Your access to the {customer_name} support portal"
    enqueue(conn, kind="account_invite", recipient=email, subject=subject, body=body, now=now)


def address_taken(
    conn: Connection, config: CollectorConfig, *, email: str, customer_name: str, now: datetime
) -> None:
    """Instead of an invitation to an address that has its account with another customer:
    its owner learns why none came, the inviter nothing."""
    body = (
        f"{customer_name} asked to give this address access to their support portal, but it\n"
        "already signs in to a support portal account, and an address holds one account.\n"
        "Nothing was changed, and your account stays as it is.\n\n"
        f"If you need access for {customer_name} as well, ask them to invite another of your\n"
        f"addresses. Sign in at {config.http.public_url.rstrip('/')}/login.\n"
    )
    subject = f"Your address was not added to the {customer_name} support portal"
    enqueue(conn, kind="account_exists", recipient=email, subject=subject, body=body, now=now)


def password_reset(
    conn: Connection,
    config: CollectorConfig,
    *,
    email: str,
    token: str,
    valid_hours: int,
    now: datetime,
) -> None:
    body = (
        "Someone (we hope you) asked to reset the password of this support portal account.\n\n"
        f"Choose a new password here (the link works once, for {valid_hours} hours):\n\n"
        f"    {password_link_url(config, token)}\n\n"
        "If it was not you, ignore this mail: your password stays as it is.\n"
    )
    subject = "Reset your support portal password"
    enqueue(conn, kind="account_reset", recipient=email, subject=subject, body=body, now=now)


def lockout(
    conn: Connection,
    *,
    recipient: str,
    account: str,
    until: datetime,
    zone: tzinfo,
    failures: int,
    now: datetime,
) -> None:
    """Mail the block to the account's owner, its end in ``zone`` (the account's own)."""
    body = (
        f"There were {failures} failed attempts to sign in as {account}, so signing in to this\n"
        f"account is blocked until {when(until, zone)}.\n\n"
        "If these attempts were not yours, someone may be guessing your password: tell the\n"
        "vendor's NOC, and choose a new password once the block lifts.\n"
    )
    subject = f"Sign-in to {account} blocked after {failures} failed attempts"
    enqueue(conn, kind="account_lockout", recipient=recipient, subject=subject, body=body, now=now)
