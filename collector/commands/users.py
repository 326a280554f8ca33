"""Customer users from the command line: add (invited by mail, or a password on stdin for
scripted set-up), list, and send a password reset."""

from __future__ import annotations

import argparse
import getpass

from sqlalchemy import Engine

from collector.commands.console import (
    Subparsers,
    group,
    leaf,
    now,
    say,
    table,
    validated,
)
from collector.commands.people import read_password
from collector.config.settings import CollectorConfig
from collector.operations.accounts import NewCustomerUser, invite_user, request_reset
from collector.security.passwords import hash_password
from collector.store import customer_users
from collector.store.inventory import NotFound


def cli_actor() -> str:
    """Who ran a command, for the audit log: the local account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def user_add(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    body = validated(
        NewCustomerUser,
        flags={"customer_id": "--customer"},
        email=args.email,
        customer_id=args.customer,
        role=args.role,
        name=args.name,
    )
    password_hash = hash_password(read_password(args)) if args.password_stdin else None
    with engine.begin() as conn:
        user = invite_user(
            conn,
            body,
            by=cli_actor(),
            address="local",
            now=now(),
            config=config,
            password_hash=password_hash,
        )
    say(f"User {user.email} added to customer {user.customer_id} as {user.role}.")
    if password_hash is None:
        say("An invitation with a link to choose a password is in the outbox.")
    return 0


def user_list(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        users = customer_users.list_users(conn, args.customer)
    rows = [
        [u.email, u.customer_id, u.role, "yes" if u.has_password else "invited", u.name]
        for u in users
    ]
    table(["EMAIL", "CUSTOMER", "ROLE", "PASSWORD", "NAME"], rows)
    return 0


def user_reset(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        if customer_users.user_by_email(conn, args.email) is None:
            raise NotFound(f"no customer user {args.email!r}")
        request_reset(conn, args.email, address="local", now=now(), config=config)
    say(f"A password reset link for {args.email} is in the outbox.")
    return 0


def register(subparsers: Subparsers) -> None:
    users = group(subparsers, "user", "customer users of the portal")
    add = leaf(users, "add", user_add, "add a customer user and mail them a password link")
    add.add_argument("email")
    add.add_argument("--customer", required=True)
    add.add_argument("--role", choices=customer_users.ROLES, default="customer")
    add.add_argument("--name", help="how they are shown (default: the email address)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="set the password from the first line of stdin instead of mailing a link",
    )
    listing = leaf(users, "list", user_list, "list customer users")
    listing.add_argument("--customer")
    reset = leaf(users, "reset", user_reset, "mail a customer user a password reset link")
    reset.add_argument("email")
