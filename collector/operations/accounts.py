"""Customer users as people create and change them: an invitation mailed with a single-use
link, a password reset the same way, a password set through the link. Each is one
transaction, recorded in the audit log (never with the link or the password)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field
from sqlalchemy import Connection, select

from collector.config.settings import CollectorConfig
from collector.notify import account_messages
from collector.operations.fields import EMAIL, IDENTIFIER, Email, Name, StrictInput
from collector.operations.inventory import ContactIn, TooManyContacts, too_many_contacts
from collector.operations.signin import Account
from collector.store import audit, customer_users, inventory, password_links, sessions
from collector.store.customer_users import CustomerUser
from collector.store.schema import customers

INVITE_VALID = timedelta(hours=72)
RESET_VALID = timedelta(hours=2)
#: Reset mails per user per hour: enough for a typo, too few to fill someone's mailbox.
RESETS_PER_HOUR = 3
MIN_PASSWORD = 8


class NewCustomerUser(StrictInput):
    email: Email = Field(pattern=EMAIL, max_length=320)
    customer_id: str = Field(min_length=1, max_length=64, pattern=IDENTIFIER)
    role: Literal["customer", "customer-admin"] = "customer"
    name: Name = Field("", max_length=200)


class NewPassword(StrictInput):
    password: str = Field(min_length=MIN_PASSWORD, max_length=1000)


def _customer_name(conn: Connection, customer_id: str) -> str:
    row = conn.execute(select(customers.c.name).where(customers.c.id == customer_id)).first()
    return str(row.name) if row else customer_id


def invite_user(
    conn: Connection,
    body: NewCustomerUser,
    *,
    by: str,
    address: str,
    now: datetime,
    config: CollectorConfig,
    password_hash: str | None = None,
) -> CustomerUser:
    """Add the user; mail them a link to choose a password, unless one is given (scripts)."""
    user = customer_users.add_user(
        conn, body.customer_id, body.email, body.role, now, name=body.name
    )
    if password_hash is not None:
        customer_users.set_password_hash(conn, user.id, password_hash)
    else:
        token = password_links.create_link(conn, user.id, "invite", now, INVITE_VALID)
        account_messages.invitation(
            conn,
            config,
            email=user.email,
            customer_name=_customer_name(conn, user.customer_id),
            token=token,
            valid_hours=int(INVITE_VALID.total_seconds() // 3600),
            now=now,
        )
    audit.record(
        conn,
        at=now,
        actor=by,
        action="user.added",
        target=f"customer:{user.email}",
        customer_id=user.customer_id,
        address=address,
        detail={"role": user.role, "invited_by_mail": password_hash is None},
    )
    return user


def request_reset(
    conn: Connection, email: str, *, address: str, now: datetime, config: CollectorConfig
) -> None:
    """Mail a reset link if the address is a user's; say nothing either way (no hint)."""
    user = customer_users.user_by_email(conn, email)
    if user is None:
        return
    recent = password_links.links_since(conn, user.id, "reset", now - timedelta(hours=1))
    if recent >= RESETS_PER_HOUR:
        return
    token = password_links.create_link(conn, user.id, "reset", now, RESET_VALID)
    account_messages.password_reset(
        conn,
        config,
        email=user.email,
        token=token,
        valid_hours=int(RESET_VALID.total_seconds() // 3600),
        now=now,
    )
    audit.record(
        conn,
        at=now,
        actor=f"customer:{user.email}",
        action="password.reset_requested",
        customer_id=user.customer_id,
        address=address,
    )


def set_password_by_link(
    conn: Connection, token: str, password_hash: str, *, address: str, now: datetime
) -> CustomerUser:
    """Use the link once: the new password, every session of the user ended."""
    user_id = password_links.use_link(conn, token, now)
    customer_users.set_password_hash(conn, user_id, password_hash)
    sessions.end_account_sessions(conn, "customer", user_id, now)
    user = customer_users.get_user(conn, user_id)
    assert user is not None  # the link's foreign key holds it
    audit.record(
        conn,
        at=now,
        actor=f"customer:{user.email}",
        action="password.set",
        customer_id=user.customer_id,
        address=address,
    )
    return user


def users_visible_to(conn: Connection, who: Account) -> list[CustomerUser]:
    """An operator sees every customer's users; a customer user their own organisation's."""
    return customer_users.list_users(conn, who.customer_id)


class NotAllowed(PermissionError):
    """The account's role does not allow this (a customer user who is not customer-admin)."""


def invite_colleague(
    conn: Connection,
    who: Account,
    email: str,
    role: str,
    *,
    address: str,
    now: datetime,
    config: CollectorConfig,
) -> CustomerUser | None:
    """A customer-admin invites someone of their own organisation, never another's.

    An address that already signs in to another customer's portal is answered as any
    invitation is, so one customer never learns who another's users are; but nothing is
    changed (None): the address's owner is mailed why, and the audit log keeps the attempt."""
    if who.customer_id is None or who.role != "customer-admin":
        raise NotAllowed("only a customer-admin invites colleagues")
    body = NewCustomerUser.model_validate(
        {"email": email, "customer_id": who.customer_id, "role": role}
    )
    holder = customer_users.user_by_email(conn, body.email)
    if holder is not None and holder.customer_id != who.customer_id:
        _decline_invitation(conn, who, holder, address=address, now=now, config=config)
        return None
    return invite_user(conn, body, by=who.actor, address=address, now=now, config=config)


def _decline_invitation(
    conn: Connection,
    who: Account,
    holder: CustomerUser,
    *,
    address: str,
    now: datetime,
    config: CollectorConfig,
) -> None:
    assert who.customer_id is not None
    account_messages.address_taken(
        conn,
        config,
        email=holder.email,
        customer_name=_customer_name(conn, who.customer_id),
        now=now,
    )
    audit.record(
        conn,
        at=now,
        actor=who.actor,
        action="user.invite_declined",
        target=f"customer:{holder.email}",
        customer_id=who.customer_id,
        address=address,
        # Not whose account it is: an entry of the inviter's customer names no other customer.
    )


def set_named_contacts(
    conn: Connection,
    who: Account,
    people: list[ContactIn],
    *,
    address: str,
    now: datetime,
    config: CollectorConfig,
) -> None:
    """A customer-admin names the people the vendor mails and takes calls from, within the
    number their contract allows (``TooManyContacts``)."""
    if who.customer_id is None or who.role != "customer-admin":
        raise NotAllowed("only a customer-admin names contacts")
    contract = inventory.current_contract(conn, who.customer_id, now)
    if contract is not None:
        problem = too_many_contacts(contract.tier, len(people), config)
        if problem:
            raise TooManyContacts(problem)
    before = inventory.contacts_of(conn, who.customer_id)
    inventory.set_contacts(conn, who.customer_id, [(p.name, p.email) for p in people])
    audit.record(
        conn,
        at=now,
        actor=who.actor,
        action="contacts.set",
        customer_id=who.customer_id,
        address=address,
        detail={
            "before": [f"{n} <{e}>" for n, e in before],
            "after": [f"{p.name} <{p.email}>" for p in people],
        },
    )
