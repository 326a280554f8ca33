"""Administering the collector: customers, contracts, hosts and their keys, the inventory file.

Operators and API tokens are ``collector.commands.people``.

Every command reads the database from ``--config``, brings the schema up to date, and prints
plain text. Secrets (host keys, API tokens) are printed once, when made, and never again.
Exit status: 0 done, 1 refused (not found, exists already, a bad inventory file), 2 a bad
configuration file or argument.
"""

from __future__ import annotations

import argparse
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from collector.commands import removal
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
from collector.operations.contract_terms import recalculate_for_customer
from collector.operations.inventory import ContractIn, NewCustomer, NewHost
from collector.store import inventory

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
    customers = group(subparsers, "customer", "add, list and remove customers")
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

    hosts = group(subparsers, "host", "add, list and remove hosts, rotate signing keys")
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

    removal.register(customers, hosts)
    files = group(subparsers, "inventory", "customers and hosts from a YAML file")
    leaf(files, "load", inventory_load, "apply an inventory file").add_argument("file", type=Path)
