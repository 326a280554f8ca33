"""Customers, contracts and hosts as people create and change them: the JSON API, the CLI and
the dashboard call these, each in one transaction.

A host's key is returned by its creation and by a rotation, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy import Connection, select

from collector.config.settings import CollectorConfig
from collector.config.snmp import HostSnmpEntry, IpAddress
from collector.config.tiers import catalogue_for
from collector.domain.contracts import installation_contract, known_zone, start_of_day_utc
from collector.domain.snmp_profiles import default_checks
from collector.operations.contract_terms import recalculate_for_customer
from collector.operations.fields import EMAIL, IDENTIFIER, Email, Name, StrictInput, Written
from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store import snmp as snmp_store
from collector.store.inventory import AlreadyExists, NotFound
from collector.store.schema import contacts
from collector.web.render import contract_json, rfc3339

#: More phone ports than any one contract covers; the column is a 32-bit integer.
MAX_PORTS = 100_000

INSTALLATION_NOTE = "included with the installation: one month of Cat1"


class ContactIn(StrictInput):
    name: Name = Field(min_length=1, max_length=200)
    email: Email = Field(pattern=EMAIL, max_length=320)


def repeated_email(emails: Sequence[str]) -> tuple[int, int] | None:
    """Where an address is first given again (in any case: mail reaches the same person), as
    the indexes of its first and second appearance; None when they all differ."""
    first: dict[str, int] = {}
    for index, email in enumerate(emails):
        earlier = first.setdefault(email.lower(), index)
        if earlier != index:
            return earlier, index
    return None


class ContractIn(StrictInput):
    tier: str = Field(min_length=1, max_length=64)
    starts_on: Annotated[date, Written]
    ends_on: Annotated[date | None, Written] = None
    ports: int = Field(0, ge=0, le=MAX_PORTS)

    @field_validator("ends_on")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        starts = info.data.get("starts_on")
        if value is not None and starts is not None and value <= starts:
            raise ValueError("must be after starts_on")
        return value


class NewCustomer(StrictInput):
    id: str = Field(min_length=1, max_length=64, pattern=IDENTIFIER)
    name: Name = Field(min_length=1, max_length=200)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)
    #: Left out: the installation month of Cat1 (see ``collector.domain.contracts``).
    contract: ContractIn | None = None
    #: ``on_request``: remote access is given only when asked (seed 002).
    access: Literal["always", "on_request"] | None = None
    #: The customer's wall clock (IANA name): contract days and "local time" in a tier.
    timezone: str | None = Field(None, max_length=64)
    region: Literal["north_america", "other"] | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else known_zone(value)

    @field_validator("contacts")
    @classmethod
    def _distinct_emails(cls, value: list[ContactIn]) -> list[ContactIn]:
        if repeated_email([c.email for c in value]) is not None:
            raise ValueError("each contact needs a different email address")
        return value


class NewHost(StrictInput):
    id: str = Field(min_length=1, max_length=128, pattern=IDENTIFIER)
    customer_id: str = Field(min_length=1, max_length=64)
    name: Name | None = Field(None, min_length=1, max_length=200)
    kind: Literal["server", "pbx", "mitel"] = "server"
    #: Overrides the interval the agent reports; None: follow the agent.
    interval_s: float | None = Field(None, gt=0, le=86400)
    #: The host's IP address: SNMP traps are matched to the host by it, and polls go to it.
    address: IpAddress | None = None
    snmp: HostSnmpEntry | None = Field(None, validate_default=True)

    @field_validator("snmp", mode="after")
    @classmethod
    def _snmp_needs_address(
        cls, snmp: HostSnmpEntry | None, info: ValidationInfo
    ) -> HostSnmpEntry | None:
        if (snmp is None) != (info.data.get("address") is None):
            raise ValueError("address and snmp settings go together (traps are matched by it)")
        if info.data.get("kind") == "mitel" and snmp is None:
            raise ValueError("a mitel host is watched over SNMP: give address and snmp settings")
        return snmp

    #: ``on_request`` for this host alone (None: the customer's rule).
    access: Literal["always", "on_request"] | None = None


def tier_names(config: CollectorConfig) -> frozenset[str]:
    """The tiers a contract may name: those of the catalogue the collector runs with."""
    return frozenset(catalogue_for(config))


def unknown_tier(body: NewCustomer, config: CollectorConfig) -> str | None:
    """Why the body's contract cannot be used (an unknown tier, or more named contacts than
    its tier allows), or None when it can."""
    known = tier_names(config)
    if body.contract is None:
        return None
    if body.contract.tier in known:
        return too_many_contacts(body.contract.tier, len(body.contacts), config)
    return f"unknown tier {body.contract.tier!r}; the catalogue has {', '.join(sorted(known))}"


def named_contacts_allowed(tier: str, config: CollectorConfig) -> int | None:
    """How many named contacts the tier allows (Priority: two, seed 003); None: no limit."""
    found = catalogue_for(config).get(tier)
    return found.entitlement.named_contacts if found else None


def too_many_contacts(tier: str, count: int, config: CollectorConfig) -> str | None:
    """Why ``count`` named contacts cannot be had under ``tier``, or None when they can."""
    allowed = named_contacts_allowed(tier, config)
    if allowed is None or count <= allowed:
        return None
    return f"the {tier} tier allows {allowed} named contacts; {count} given"


class TooManyContacts(ValueError):
    """The contract's tier allows fewer named contacts than the customer has."""


def _contacts_by_customer(conn: Connection) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = {}
    query = select(contacts).order_by(contacts.c.customer_id, contacts.c.id)
    for row in conn.execute(query):
        grouped.setdefault(row.customer_id, []).append({"name": row.name, "email": row.email})
    return grouped


def customers_json(conn: Connection, now: datetime, only: str | None = None) -> list[Any]:
    people = _contacts_by_customer(conn)
    return [
        {
            "id": c["id"],
            "name": c["name"],
            "created_at": rfc3339(c["created_at"]),
            "contacts": people.get(c["id"], []),
            "contract": contract_json(inventory.current_contract(conn, c["id"], now)),
        }
        for c in inventory.list_customers(conn)
        if only is None or c["id"] == only
    ]


def _installation_terms(now: datetime) -> ContractIn:
    tier, starts_on, ends_on = installation_contract(now.date())
    return ContractIn(tier=tier, starts_on=starts_on, ends_on=ends_on)


def create_customer(conn: Connection, body: NewCustomer, now: datetime) -> dict[str, Any]:
    inventory.add_customer(
        conn, body.id, body.name, now, access=body.access, timezone=body.timezone,
        region=body.region,
    )  # fmt: skip
    inventory.set_contacts(conn, body.id, [(c.name, c.email) for c in body.contacts])
    terms = body.contract or _installation_terms(now)
    zone = body.timezone
    ends_at = start_of_day_utc(terms.ends_on, zone) if terms.ends_on else None
    starts_at = start_of_day_utc(terms.starts_on, zone)
    note = INSTALLATION_NOTE if body.contract is None else ""
    inventory.add_contract(conn, body.id, terms.tier, starts_at, ends_at, terms.ports, note)
    return customers_json(conn, now, only=body.id)[0]


def change_contract(
    conn: Connection, customer_id: str, terms: ContractIn, now: datetime, config: CollectorConfig
) -> tuple[dict[str, Any], list[int]]:
    """Add a contract to a customer; open incidents move to the terms in force at ``now``.

    Returns the customer as the API shows it, and the incidents whose terms changed.
    """
    problem = too_many_contacts(
        terms.tier, len(inventory.contact_emails(conn, customer_id)), config
    )
    if problem:
        raise TooManyContacts(f"{problem}: remove contacts first")
    zone = inventory.customer_locale(conn, customer_id).timezone
    ends_at = start_of_day_utc(terms.ends_on, zone) if terms.ends_on else None
    starts_at = start_of_day_utc(terms.starts_on, zone)
    inventory.add_contract(conn, customer_id, terms.tier, starts_at, ends_at, terms.ports)
    reason = f"contract changed: {terms.tier} from {terms.starts_on.isoformat()}"
    changed = recalculate_for_customer(
        conn, customer_id, now, reason, catalogue=catalogue_for(config)
    )
    return customers_json(conn, now, only=customer_id)[0], changed


def hosts_of(conn: Connection, customer_id: str | None) -> list[inventory.Host]:
    """Every host, or one customer's; an unknown customer is refused rather than empty."""
    if customer_id is not None and customer_id not in {
        c["id"] for c in inventory.list_customers(conn)
    }:
        raise NotFound(f"no customer {customer_id!r}")
    return inventory.list_hosts(conn, customer_id)


class AddressTaken(AlreadyExists):
    """Another host has this address: a trap from it could not tell the two apart."""


class UnknownProfile(ValueError):
    """The host's SNMP settings name a profile the configuration does not have."""


def create_host(
    conn: Connection, body: NewHost, now: datetime, config: CollectorConfig
) -> tuple[inventory.Host, str]:
    """Create the host; with SNMP settings, also its SNMP agent, and for a Mitel the remote
    checks that prove the vendor's access (HTTPS to its administration tool)."""
    if body.snmp is not None and body.snmp.profile not in config.snmp.profile_book:
        known = ", ".join(sorted(config.snmp.profile_book))
        raise UnknownProfile(f"unknown SNMP profile {body.snmp.profile!r}; known: {known}")
    if body.address is not None and snmp_store.address_taken(conn, body.address, body.id):
        raise AddressTaken(f"another host has the address {body.address}")
    key = inventory.add_host(
        conn,
        body.id,
        body.customer_id,
        now,
        name=body.name,
        kind=body.kind,
        interval_s=body.interval_s,
        access=body.access,
    )
    if body.snmp is not None and body.address is not None:
        snmp_store.set_agent(conn, body.snmp.agent(body.id, body.address))
        if body.kind == "mitel":
            interval_s = config.probes.default_interval_s
            add_default_checks(conn, body.id, body.kind, body.address, now, interval_s)
    return inventory.get_host(conn, body.id), key


def add_default_checks(
    conn: Connection, host_id: str, kind: str, address: str, now: datetime, interval_s: float
) -> None:
    """The checks ``default_checks`` gives the kind, unless the host has them already."""
    for check_kind, name, target in default_checks(kind, address):
        if probe_store.get_check_by_name(conn, host_id, check_kind, name) is None:
            probe_store.add_check(
                conn, host_id, check_kind, target, now, name=name, interval_s=interval_s
            )


def host_snmp_json(conn: Connection, host_id: str) -> dict[str, Any]:
    """The host's address and SNMP settings (secrets left out), for the API; nothing for a
    host without them."""
    agent = snmp_store.get_agent(conn, host_id)
    if agent is None:
        return {}  # an agent's host answers as it always has
    return {"address": agent.address, "snmp": agent.public()}


def rotate_key(conn: Connection, host_id: str) -> tuple[inventory.Host, str]:
    key = inventory.rotate_host_key(conn, host_id)
    return inventory.get_host(conn, host_id), key
