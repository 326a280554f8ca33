"""Operators and API tokens: who may use the dashboard and the JSON API.

Every command reads the database from ``--config``. Passwords are read without echo (or from
the first line of stdin with ``--password-stdin``); an API token is printed once, when made.
Exit status: 0 done, 1 refused (not found, exists already), 2 a bad argument.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import Engine

from collector.commands.console import (
    BadArgument,
    Subparsers,
    counted,
    group,
    leaf,
    now,
    say,
    table,
    when,
)
from collector.config.settings import CollectorConfig
from collector.security import totp
from collector.store import customer_users, inventory, operators, sessions

MIN_PASSWORD = 8


def read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        # Without a terminal getpass falls back to reading stdin, which may be empty (a script,
        # cron, `ssh host cmd`): say what to do instead of ending in a traceback.
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Password again: ")
        except EOFError:
            raise BadArgument(
                "no password given: type it at a terminal, or pipe it in with --password-stdin"
            ) from None
        if again != password:
            raise BadArgument("the two passwords differ")
    if len(password) < MIN_PASSWORD:
        raise BadArgument(f"the password needs at least {MIN_PASSWORD} characters")
    return password


def operator_add(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    password = read_password(args)
    with engine.begin() as conn:
        operators.add_operator(
            conn, args.username, password, now(), role=args.role, timezone=args.timezone
        )
    zone = f", reading times in {args.timezone}" if args.timezone else ""
    say(
        f"Operator {args.username} ({args.role}{zone}) added; "
        "they can sign in to the dashboard now."
    )
    return 0


def operator_timezone(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    """Set the zone an operator's pages show times in, or (``--vendor``) go back to the
    vendor's ``dashboard.timezone``."""
    if (args.zone is None) == (not args.vendor):
        raise BadArgument("give a time zone such as Europe/London, or --vendor (not both)")
    with engine.begin() as conn:
        operators.set_timezone(conn, args.username, args.zone)
    shown = args.zone or f"the vendor's zone ({config.dashboard.timezone})"
    say(f"Operator {args.username} reads times in {shown} from their next page on.")
    return 0


def zone_argument(text: str) -> str:
    """An IANA zone for ``--timezone``: argparse names the option when it is not one."""
    try:
        return str(operators.display_zone(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def operator_passwd(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    password = read_password(args)
    with engine.begin() as conn:
        operators.set_password(conn, args.username, password)
        found = operators.login_record(conn, args.username)
        assert found is not None  # set_password refused an unknown name
        ended = sessions.end_account_sessions(conn, "operator", found[0].id, now())
    say(f"Password changed for operator {args.username}; {ended} session(s) signed out.")
    return 0


def operator_totp(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    secret = None if args.off else totp.new_secret()
    with engine.begin() as conn:
        operators.set_totp_secret(conn, args.username, secret)
    if secret is None:
        say(f"Second factor off for operator {args.username}: the password alone signs in.")
        return 0
    say(
        f"Second factor on for operator {args.username}. Add this to an authenticator app",
        "(shown this once; run the command again for a new one):",
        "",
        f"    {totp.provisioning_uri(secret, args.username)}",
        "",
        "From now on the login form's Code field must hold the app's current 6 digits.",
    )
    return 0


def operator_remove(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    """Remove an operator; one holding API tokens only with ``--force``, which revokes them.
    What they did stays recorded under their name."""
    with engine.begin() as conn:
        tokens = operators.list_tokens(conn, args.username)
        if tokens and not args.force:
            names = ", ".join(repr(t.name) for t in tokens)
            raise inventory.AlreadyExists(
                f"operator {args.username} holds {counted(len(tokens), 'API token')} ({names}): "
                "--force revokes them too"
            )
        operators.remove_operator(conn, args.username)
    revoked = f"; {counted(len(tokens), 'API token')} revoked" if tokens else ""
    say(f"Operator {args.username} removed{revoked}. Their steps stay recorded under their name.")
    return 0


def token_create(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    customer = "@" in args.username
    with engine.begin() as conn:
        if customer:
            token = customer_users.create_token(conn, args.username, args.name, now())
        else:
            token = operators.create_token(conn, args.username, args.name, now())
    whose = (
        f"customer user {args.username} (sees only that customer)"
        if customer
        else (f"operator {args.username}")
    )
    say(
        f"API token {args.name!r} for {whose}, shown this once:",
        "",
        f"    {token}",
        "",
        "Send it as 'Authorization: Bearer <token>' to the /api/v1/ endpoints.",
    )
    return 0


def token_list(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    """Operators' tokens by number, customer users' by ``c`` and number, e.g. ``c3``."""
    whose = args.username
    with engine.begin() as conn:
        staff = [] if whose and "@" in whose else operators.list_tokens(conn, whose)
        customers = customer_users.list_tokens(conn, whose) if not whose or "@" in whose else []
    rows = [[str(t.id), t.username, t.name, when(t.created_at)] for t in staff]
    rows += [[f"c{t.id}", t.email, t.name, when(t.created_at)] for t in customers]
    table(["ID", "OWNER", "NAME", "CREATED (UTC)"], rows)
    return 0


def token_revoke(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    text = str(args.id)
    customer = text.startswith("c")
    number = text[1:] if customer else text
    if not (number.isascii() and number.isdigit()):
        raise BadArgument(f"{text!r} is not a token ID from token list (a number, or c and one)")
    with engine.begin() as conn:
        if customer:
            gone = customer_users.revoke_token(conn, int(number))
            label, owner, name = f"c{gone.id}", gone.email, gone.name
        else:
            revoked = operators.revoke_token(conn, int(number))
            label, owner, name = f"#{revoked.id}", revoked.username, revoked.name
    say(
        f"API token {label} {name!r} of {owner} revoked:",
        "requests that present it are refused from now on.",
    )
    return 0


def register(subparsers: Subparsers) -> None:
    people = group(subparsers, "operator", "dashboard and API users")
    for name, handler, summary in (
        ("add", operator_add, "add an operator"),
        ("passwd", operator_passwd, "set an operator's password"),
    ):
        parser = leaf(people, name, handler, summary)
        parser.add_argument("username")
        if name == "add":
            parser.add_argument(
                "--role",
                choices=operators.ROLES,
                default="admin",
                help="an operator cannot manage operators or tokens (default: admin)",
            )
            parser.add_argument(
                "--timezone",
                type=zone_argument,
                help="the IANA zone their pages show times in (default: dashboard.timezone)",
            )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of stdin",
        )

    second = leaf(people, "totp", operator_totp, "turn an operator's second factor on or off")
    second.add_argument("username")
    second.add_argument("--off", action="store_true", help="turn it off")
    summary = "set the time zone an operator reads times in"
    zone = leaf(people, "timezone", operator_timezone, summary)
    zone.add_argument("username")
    zone.add_argument("zone", nargs="?", type=zone_argument, help="an IANA name, e.g. Asia/Tokyo")
    zone.add_argument("--vendor", action="store_true", help="back to dashboard.timezone")
    remove = leaf(people, "remove", operator_remove, "remove an operator (--force: and tokens)")
    remove.add_argument("username")
    remove.add_argument("--force", action="store_true", help="revoke their API tokens too")

    tokens = group(subparsers, "token", "API tokens for the JSON API")
    create = leaf(tokens, "create", token_create, "create an API token (printed once)")
    create.add_argument("username", help="an operator, or a customer user's email")
    create.add_argument("--name", required=True, help="what the token is for")
    listing = leaf(tokens, "list", token_list, "list API tokens (names, never the tokens)")
    listing.add_argument("username", nargs="?", help="only this operator's (or customer user's)")
    revoke = leaf(tokens, "revoke", token_revoke, "revoke an API token by its ID")
    revoke.add_argument("id", help="from token list: a number, or c and a number")
