"""Administering the collector: customers, hosts and keys, checks, operators, tokens, inventory.

Every command reads the database from ``--config``, brings the schema up to date, and prints
plain text. Secrets (host keys, API tokens) are printed once, when made, and never again.
Exit status: 0 done, 1 refused (not found, exists already, a bad inventory file), 2 a bad
configuration file or argument.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import TypeAlias, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine

from collector.api import inventory_api
from collector.api.bodies import ContractIn, NewCustomer, NewHost
from collector.commands.service import EXIT_CONFIG, add_config_option, config_or_none
from collector.config import CollectorConfig, ConfigError
from collector.incident_actions import recalculate_for_customer
from collector.incident_clock import catalogue_for
from collector.inventory_file import load_inventory
from collector.probe_runner import parse_options
from collector.store import inventory, operators
from collector.store import probe_results as probe_store
from collector.store.db import make_engine, migrate

Model = TypeVar("Model", bound=BaseModel)
AdminHandler = Callable[[argparse.Namespace, CollectorConfig, Engine], int]
MIN_PASSWORD = 8
KEY_FILE = "/etc/faultdesk/host.key"


class BadArgument(Exception):
    """An argument value that cannot be used (exit 2, like argparse's own errors)."""


def say(*lines: str) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    for row in (headers, *rows):
        say(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )


def now() -> datetime:
    return datetime.now(UTC)


def admin(handler: AdminHandler) -> Callable[[argparse.Namespace], int]:
    """Load the config, open and migrate the database, run ``handler``, turn refusals into exits."""

    def command(args: argparse.Namespace) -> int:
        config = config_or_none(args.config)
        if config is None:
            return EXIT_CONFIG
        logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations are routine here
        engine = make_engine(config.database.url)
        try:
            migrate(engine)
            return handler(args, config, engine)
        except (inventory.NotFound, inventory.AlreadyExists, ConfigError) as exc:
            sys.stderr.write(f"faultdesk-collector: {exc}\n")
            return 1
        except BadArgument as exc:
            sys.stderr.write(f"faultdesk-collector: {exc}\n")
            return EXIT_CONFIG
        finally:
            engine.dispose()

    return command


def validated(model: type[Model], **fields: object) -> Model:
    """The arguments checked by the same model the JSON API uses."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadArgument(f"{where}: {first['msg']}") from None


def contact(text: str) -> dict[str, str]:
    """``"Ann Example <ann@example.com>"`` (or a bare address) as a contact."""
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
    )
    problem = inventory_api.unknown_tier(body, config)
    if problem:
        raise BadArgument(problem)
    with engine.begin() as conn:
        created = inventory_api.create_customer(conn, body, now())
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
        customers = inventory_api.customers_json(conn, now())
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
    if terms.tier not in inventory_api.tier_names(config):
        known = ", ".join(sorted(inventory_api.tier_names(config)))
        raise BadArgument(f"unknown tier {terms.tier!r}; the catalogue has {known}")
    with engine.begin() as conn:
        _, changed = inventory_api.change_contract(conn, args.id, terms, now(), config)
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
    )
    with engine.begin() as conn:
        host, key = inventory_api.create_host(conn, body, now())
    every = f"{host.kind}, reports every {host.interval_s:g} s"
    say(f"Host {host.id} added for customer {host.customer_id} ({every}).")
    show_key(host.id, key)
    return 0


def host_list(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        hosts = inventory.list_hosts(conn, args.customer)
    rows = [
        [h.id, h.customer_id, h.kind, f"{h.interval_s:g} s", _when(h.last_seen_at), h.name]
        for h in hosts
    ]
    table(["ID", "CUSTOMER", "KIND", "INTERVAL", "LAST SEEN (UTC)", "NAME"], rows)
    return 0


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "never"


def host_rotate_key(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        key = inventory.rotate_host_key(conn, args.id)
    say(f"Host {args.id} has a new signing key; reports signed with the old one are refused.")
    show_key(args.id, key)
    return 0


def option_pair(text: str) -> tuple[str, object]:
    """``k=v``; the value is read as a YAML scalar, so ``port=2222`` is a number."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, yaml.safe_load(value) if value else ""
    except yaml.YAMLError:
        return key, value


def check_add(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    options = dict(args.option)
    try:
        parse_options(args.kind, args.target, options)
    except ValueError as exc:
        raise BadArgument(str(exc)) from None
    with engine.begin() as conn:
        inventory.get_host(conn, args.host)
        check = probe_store.add_check(
            conn,
            args.host,
            args.kind,
            args.target,
            now(),
            name=args.name or "",
            options=options,
            interval_s=args.interval or config.probes.default_interval_s,
            enabled=not args.disabled,
        )
    state = "disabled" if args.disabled else f"every {check.interval_s:g} s"
    say(f"Check {check.label} of {args.host}: {check.target}, {state} (id {check.id}).")
    return 0


def check_list(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        inventory.get_host(conn, args.host)
        checks = probe_store.list_checks(conn, args.host)
        latest = probe_store.latest_by_check(conn, args.host)
    rows = []
    for c in checks:
        last = latest.get(c.id)
        seen = f"{last.verdict} at {_when(last.at)}" if last else "not run yet"
        every = f"{c.interval_s:g} s" if c.enabled else "disabled"
        options = " ".join(f"{k}={v}" for k, v in sorted(c.options.items()))
        rows.append([str(c.id), c.label, c.target, every, seen, options])
    table(["ID", "CHECK", "TARGET", "INTERVAL", "LAST RESULT (UTC)", "OPTIONS"], rows)
    return 0


def read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise BadArgument("the two passwords differ")
    if len(password) < MIN_PASSWORD:
        raise BadArgument(f"the password needs at least {MIN_PASSWORD} characters")
    return password


def operator_add(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    password = read_password(args)
    with engine.begin() as conn:
        operators.add_operator(conn, args.username, password, now())
    say(f"Operator {args.username} added; they can sign in to the dashboard now.")
    return 0


def operator_passwd(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    password = read_password(args)
    with engine.begin() as conn:
        operators.set_password(conn, args.username, password)
    say(f"Password changed for operator {args.username}.")
    return 0


def token_create(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        token = operators.create_token(conn, args.username, args.name, now())
    say(
        f"API token {args.name!r} for operator {args.username}, shown this once:",
        "",
        f"    {token}",
        "",
        "Send it as 'Authorization: Bearer <token>' to the /api/v1/ endpoints.",
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
    say(f"Loaded {args.file}: the database now has {customers} customers and {hosts} hosts.")
    if changed:
        moved = ", ".join(f"#{i}" for i in changed)
        say(f"Open incidents moved to the contract now in force: {moved}")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _leaf(
    group: Subparsers, name: str, handler: AdminHandler, summary: str
) -> argparse.ArgumentParser:
    parser = group.add_parser(name, help=summary, description=summary)
    add_config_option(parser)
    parser.set_defaults(func=admin(handler))
    return parser


def _group(subparsers: Subparsers, name: str, summary: str) -> Subparsers:
    parser = subparsers.add_parser(name, help=summary, description=summary)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")


def register(subparsers: Subparsers) -> None:
    customers = _group(subparsers, "customer", "add and list customers")
    add = _leaf(customers, "add", customer_add, "add a customer (one month of Cat1 unless --tier)")
    add.add_argument("id")
    add.add_argument("--name", required=True)
    add.add_argument("--contact", action="append", default=[], metavar='"NAME <EMAIL>"')
    add.add_argument("--tier", help="a tier of the catalogue, e.g. cat2")
    add.add_argument("--starts", type=_day, metavar="YYYY-MM-DD", help="default: today (UTC)")
    add.add_argument("--ends", type=_day, metavar="YYYY-MM-DD", help="first day not covered")
    add.add_argument("--ports", type=int, metavar="N")
    _leaf(customers, "list", customer_list, "list customers with their current contract")
    summary = "give a customer a new contract (open incidents follow)"
    terms = _leaf(customers, "contract", customer_contract, summary)
    terms.add_argument("id")
    terms.add_argument("--tier", required=True, help="a tier of the catalogue, e.g. priority-uk")
    terms.add_argument("--starts", type=_day, metavar="YYYY-MM-DD", help="default: today (UTC)")
    terms.add_argument("--ends", type=_day, metavar="YYYY-MM-DD", help="first day not covered")
    terms.add_argument("--ports", type=int, metavar="N")

    hosts = _group(subparsers, "host", "add and list hosts, rotate signing keys")
    add = _leaf(hosts, "add", host_add, "add a host and print its signing key (once)")
    add.add_argument("id")
    add.add_argument("--customer", required=True)
    add.add_argument("--name")
    add.add_argument("--kind", choices=["server", "pbx"], default="server")
    add.add_argument("--interval", type=float, metavar="S", help="reporting interval in seconds")
    listing = _leaf(hosts, "list", host_list, "list hosts")
    listing.add_argument("--customer")
    _leaf(hosts, "rotate-key", host_rotate_key, "give a host a new signing key").add_argument("id")

    _register_checks(subparsers)

    people = _group(subparsers, "operator", "dashboard and API users")
    for name, handler, summary in (
        ("add", operator_add, "add an operator"),
        ("passwd", operator_passwd, "set an operator's password"),
    ):
        parser = _leaf(people, name, handler, summary)
        parser.add_argument("username")
        parser.add_argument("--password-stdin", action="store_true", help="read it from stdin")

    tokens = _group(subparsers, "token", "API tokens for the JSON API")
    create = _leaf(tokens, "create", token_create, "create an API token (printed once)")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="what the token is for")

    files = _group(subparsers, "inventory", "customers and hosts from a YAML file")
    _leaf(files, "load", inventory_load, "apply an inventory file").add_argument("file", type=Path)


def _register_checks(subparsers: Subparsers) -> None:
    checks = _group(subparsers, "check", "remote checks the collector runs against a host")
    add = _leaf(checks, "add", check_add, "add a check to a host, or change the one of that name")
    add.add_argument("host")
    add.add_argument("--kind", required=True, choices=["ssh", "http", "sip", "tcp"])
    add.add_argument("--target", required=True, help="HOST[:PORT], or the URL for http")
    add.add_argument("--name", help="tells two checks of one kind apart")
    add.add_argument("--interval", type=float, metavar="S", help="default: from the config")
    add.add_argument(
        "--option",
        type=option_pair,
        action="append",
        default=[],
        metavar="K=V",
        help="probe option, e.g. user=root, key=/path, expect_status=200 (repeatable)",
    )
    add.add_argument("--disabled", action="store_true", help="store it without running it")
    listing = _leaf(checks, "list", check_list, "list a host's checks and their last result")
    listing.add_argument("host")
