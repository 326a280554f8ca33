"""Administering the collector: customers, hosts and keys, operators, tokens, inventory.

Every command reads the database from ``--config``, brings the schema up to date, and prints
plain text. Secrets (host keys, API tokens) are printed once, when made, and never again.
Exit status: 0 done, 1 refused (not found, exists already, a bad inventory file), 2 a bad
configuration file or argument.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from pydantic import ValidationError
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
    validated,
    when,
)
from collector.config.inventory_file import load_inventory
from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.control_characters import refuse_control_characters
from collector.operations import inventory as inventory_ops
from collector.operations.incidents import recalculate_for_customer
from collector.operations.inventory import ContractIn, NewCustomer, NewHost
from collector.security import totp
from collector.store import customer_users, inventory, operators, sessions

MIN_PASSWORD = 8
KEY_FILE = "/etc/faultdesk/host.key"


def contact(text: str) -> dict[str, str]:
    """``"Ann Example <ann@example.com>"`` (or a bare address) as a contact."""
    # parseaddr would quietly drop what follows a line break: refuse the whole text instead.
    try:
        refuse_control_characters(text)
    except ValueError as exc:
        raise BadArgument(f"--contact {text!r}: {exc}") from None
    name, email = parseaddr(text)
    if "@" not in email:
        raise BadArgument(f'--contact {text!r}: expected "Name <email@example.com>"')
    return {"name": name or email, "email": email}


def contract_from(args: argparse.Namespace) -> ContractIn | None:
    if args.tier is None:
        if args.starts or args.ends or args.ports is not None:
            raise BadArgument("--starts, --ends and --ports describe a contract: give --tier too")
        return None
    starts = args.starts or now().date()
    try:
        return ContractIn(
            tier=args.tier, starts_on=starts, ends_on=args.ends, ports=args.ports or 0
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadArgument(f"contract {first['loc'][0]}: {first['msg']}") from None


def customer_add(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    body = validated(
        NewCustomer,
        id=args.id,
        name=args.name,
        contacts=[contact(c) for c in args.contact],
        contract=contract_from(args),
        access=args.access,
        timezone=args.timezone,
        region=args.region,
    )
    problem = inventory_ops.unknown_tier(body, config)
    if problem:
        raise BadArgument(problem)
    with engine.begin() as conn:
        created = inventory_ops.create_customer(conn, body, now())
    terms = created["contract"]
    say(f"Customer {created['id']} added: {created['name']}")
    if terms:
        until = f"until {terms['ends_on']}" if terms["ends_on"] else "open-ended"
        note = " (the installation month of Cat1)" if body.contract is None else ""
        say(f"Contract: {terms['tier']} from {terms['starts_on']}, {until}{note}")
    for person in created["contacts"]:
        name, email = person["name"], person["email"]
        say(f"Contact: {email}" if name == email else f"Contact: {name} <{email}>")
    return 0


def customer_list(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        customers = inventory_ops.customers_json(conn, now())
    rows = []
    for c in customers:
        terms = c["contract"] or {}
        emails = ", ".join(p["email"] for p in c["contacts"])
        rows.append(
            [c["id"], c["name"], terms.get("tier", "none"), terms.get("ends_on") or "", emails]
        )
    table(["ID", "NAME", "TIER", "ENDS", "CONTACTS"], rows)
    return 0


def customer_contract(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    terms = contract_from(args)
    assert terms is not None  # --tier is required here
    if terms.tier not in inventory_ops.tier_names(config):
        known = ", ".join(sorted(inventory_ops.tier_names(config)))
        raise BadArgument(f"unknown tier {terms.tier!r}; the catalogue has {known}")
    with engine.begin() as conn:
        try:
            _, changed = inventory_ops.change_contract(conn, args.id, terms, now(), config)
        except inventory_ops.TooManyContacts as exc:
            raise BadArgument(str(exc)) from None
    until = f"until {terms.ends_on}" if terms.ends_on else "open-ended"
    say(f"Contract for {args.id}: {terms.tier} from {terms.starts_on}, {until}")
    if changed:
        moved = ", ".join(f"#{i}" for i in changed)
        say(f"Open incidents moved to the terms now in force: {moved}")
    return 0


def show_key(host_id: str, key: str) -> None:
    say(
        "",
        "Signing key, shown this once (it cannot be read back; rotate it if it is lost):",
        "",
        f"    {key}",
        "",
        f"On {host_id}, put the key alone in a file only the agent's user can read:",
        f"    sudo install -m 600 -o faultdesk /dev/null {KEY_FILE}",
        f"    sudoedit {KEY_FILE}        # paste the key, save",
        "and name it in the agent's configuration (/etc/faultdesk/agent.yaml):",
        f"    host_id: {host_id}",
        f"    key_file: {KEY_FILE}",
    )


def host_add(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    body = validated(
        NewHost,
        id=args.id,
        customer_id=args.customer,
        name=args.name,
        kind=args.kind,
        interval_s=args.interval,
        address=args.address,
        snmp=_snmp_settings(args),
        access=args.access,
    )
    try:
        with engine.begin() as conn:
            host, key = inventory_ops.create_host(conn, body, now(), config)
    except inventory_ops.UnknownProfile as exc:
        raise BadArgument(f"--snmp-profile: {exc}") from None
    every = f"{host.kind}, heartbeat every {host.heartbeat_interval_s:g} s ({_source(host)})"
    say(f"Host {host.id} added for customer {host.customer_id} ({every}).")
    show_key(host.id, key)
    return 0


def _snmp_settings(args: argparse.Namespace) -> dict[str, Any] | None:
    given = {
        "version": args.snmp_version, "community": args.snmp_community, "user": args.snmp_user,
        "auth_protocol": args.snmp_auth_protocol, "auth_key": args.snmp_auth_key,
        "priv_protocol": args.snmp_priv_protocol, "priv_key": args.snmp_priv_key,
        "engine_id": args.snmp_engine_id, "profile": args.snmp_profile,
    }  # fmt: skip
    chosen = {name: value for name, value in given.items() if value is not None}
    return chosen or None


def _source(host: inventory.Host) -> str:
    return {"host": "set on the host", "agent": "the agent's", "default": "until it reports"}[
        host.interval_source
    ]


def host_list(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        hosts = inventory.list_hosts(conn, args.customer)
    rows = [
        [
            h.id,
            h.customer_id,
            h.kind,
            f"{h.heartbeat_interval_s:g} s ({_source(h)})",
            when(h.last_seen_at),
            h.name,
        ]
        for h in hosts
    ]
    table(["ID", "CUSTOMER", "KIND", "INTERVAL", "LAST SEEN (UTC)", "NAME"], rows)
    return 0


def host_rotate_key(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        key = inventory.rotate_host_key(conn, args.id)
    say(f"Host {args.id} has a new signing key; reports signed with the old one are refused.")
    show_key(args.id, key)
    return 0


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
        operators.add_operator(conn, args.username, password, now(), role=args.role)
    say(f"Operator {args.username} ({args.role}) added; they can sign in to the dashboard now.")
    return 0


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


def inventory_load(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        load_inventory(conn, args.file, now(), default_interval_s=config.probes.default_interval_s)
        customers, hosts = len(inventory.list_customers(conn)), len(inventory.list_hosts(conn))
        reason = f"inventory {args.file} loaded"
        tiers = catalogue_for(config)
        changed = [
            incident
            for c in inventory.list_customers(conn)
            for incident in recalculate_for_customer(conn, c["id"], now(), reason, catalogue=tiers)
        ]
    having = f"{counted(customers, 'customer')} and {counted(hosts, 'host')}"
    say(f"Loaded {args.file}: the database now has {having}.")
    if changed:
        moved = ", ".join(f"#{i}" for i in changed)
        say(f"Open incidents moved to the contract now in force: {moved}")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def register(subparsers: Subparsers) -> None:
    customers = group(subparsers, "customer", "add and list customers")
    add = leaf(customers, "add", customer_add, "add a customer (one month of Cat1 unless --tier)")
    add.add_argument("id")
    add.add_argument("--name", required=True)
    add.add_argument("--contact", action="append", default=[], metavar='"NAME <EMAIL>"')
    add.add_argument("--tier", help="a tier of the catalogue, e.g. cat2")
    add.add_argument("--starts", type=_day, metavar="YYYY-MM-DD", help="default: today (UTC)")
    add.add_argument("--ends", type=_day, metavar="YYYY-MM-DD", help="first day not covered")
    add.add_argument("--ports", type=int, metavar="N")
    add.add_argument(
        "--access", choices=["always", "on_request"], help="on_request: access given when asked"
    )
    add.add_argument("--timezone", metavar="ZONE", help="IANA name; contract days start there")
    add.add_argument("--region", choices=["north_america", "other"])
    leaf(customers, "list", customer_list, "list customers with their current contract")
    summary = "give a customer a new contract (open incidents follow)"
    terms = leaf(customers, "contract", customer_contract, summary)
    terms.add_argument("id")
    terms.add_argument("--tier", required=True, help="a tier of the catalogue, e.g. priority-uk")
    terms.add_argument("--starts", type=_day, metavar="YYYY-MM-DD", help="default: today (UTC)")
    terms.add_argument("--ends", type=_day, metavar="YYYY-MM-DD", help="first day not covered")
    terms.add_argument("--ports", type=int, metavar="N")

    hosts = group(subparsers, "host", "add and list hosts, rotate signing keys")
    add = leaf(hosts, "add", host_add, "add a host and print its signing key (once)")
    add.add_argument("id")
    add.add_argument("--customer", required=True)
    add.add_argument("--name")
    add.add_argument("--kind", choices=["server", "pbx", "mitel"], default="server")
    add.add_argument(
        "--interval",
        type=float,
        metavar="S",
        help="the heartbeat's interval in seconds, overriding the one the agent reports",
    )
    add.add_argument("--address", metavar="IP", help="its IP address: SNMP traps come from it")
    add.add_argument("--snmp-version", choices=["1", "2c", "3"])
    add.add_argument("--snmp-community", metavar="C", help="SNMPv1/v2c community")
    add.add_argument("--snmp-user", metavar="USER", help="SNMPv3 user")
    add.add_argument("--snmp-auth-protocol", choices=["MD5", "SHA", "SHA-256", "SHA-512"])
    add.add_argument("--snmp-auth-key", metavar="KEY")
    add.add_argument("--snmp-priv-protocol", choices=["DES", "AES", "AES-256"])
    add.add_argument("--snmp-priv-key", metavar="KEY")
    add.add_argument("--snmp-engine-id", metavar="HEX", help="the host's SNMPv3 engine id")
    add.add_argument("--snmp-profile", metavar="NAME", help="trap and poll mapping "
                     "(default mitel-3300)")  # fmt: skip
    add.add_argument(
        "--access", choices=["always", "on_request"], help="default: the customer's rule"
    )
    listing = leaf(hosts, "list", host_list, "list hosts")
    listing.add_argument("--customer")
    leaf(hosts, "rotate-key", host_rotate_key, "give a host a new signing key").add_argument("id")

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
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of stdin",
        )

    second = leaf(people, "totp", operator_totp, "turn an operator's second factor on or off")
    second.add_argument("username")
    second.add_argument("--off", action="store_true", help="turn it off")
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

    files = group(subparsers, "inventory", "customers and hosts from a YAML file")
    leaf(files, "load", inventory_load, "apply an inventory file").add_argument("file", type=Path)
