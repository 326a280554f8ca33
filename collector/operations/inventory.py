"""Customers, contracts and hosts as people create and change them: the JSON API, the CLI and
the dashboard call these, each in one transaction.

A host's key is returned by its creation and by a rotation, and nowhere else.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy import Connection, select

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.contracts import installation_contract, start_of_day_utc
from collector.operations.fields import EMAIL, IDENTIFIER, Name, StrictInput
from collector.operations.incidents import recalculate_for_customer
from collector.store import inventory
from collector.store.inventory import NotFound
from collector.store.schema import contacts
from collector.web.render import contract_json, rfc3339

INSTALLATION_NOTE = "included with the installation: one month of Cat1"


class ContactIn(StrictInput):
    name: Name = Field(min_length=1, max_length=200)
    email: str = Field(pattern=EMAIL, max_length=320)


class ContractIn(StrictInput):
    tier: str = Field(min_length=1, max_length=64)
    starts_on: date
    ends_on: date | None = None
    ports: int = Field(0, ge=0)

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

    @field_validator("contacts")
    @classmethod
    def _distinct_emails(cls, value: list[ContactIn]) -> list[ContactIn]:
        emails = [c.email.lower() for c in value]
        if len(set(emails)) != len(emails):
            raise ValueError("each contact needs a different email address")
        return value


class NewHost(StrictInput):
    id: str = Field(min_length=1, max_length=128, pattern=IDENTIFIER)
    customer_id: str = Field(min_length=1, max_length=64)
    name: Name | None = Field(None, min_length=1, max_length=200)
    kind: Literal["server", "pbx"] = "server"
    #: Overrides the interval the agent reports; None: follow the agent.
    interval_s: float | None = Field(None, gt=0, le=86400)


def tier_names(config: CollectorConfig) -> frozenset[str]:
    """The tiers a contract may name: those of the catalogue the collector runs with."""
    return frozenset(catalogue_for(config))


def unknown_tier(body: NewCustomer, config: CollectorConfig) -> str | None:
    """Why the body's contract tier cannot be used, or None when it can."""
    known = tier_names(config)
    if body.contract is None or body.contract.tier in known:
        return None
    return f"unknown tier {body.contract.tier!r}; the catalogue has {', '.join(sorted(known))}"


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
    inventory.add_customer(conn, body.id, body.name, now)
    inventory.set_contacts(conn, body.id, [(c.name, c.email) for c in body.contacts])
    terms = body.contract or _installation_terms(now)
    ends_at = start_of_day_utc(terms.ends_on) if terms.ends_on else None
    note = INSTALLATION_NOTE if body.contract is None else ""
    inventory.add_contract(
        conn, body.id, terms.tier, start_of_day_utc(terms.starts_on), ends_at, terms.ports, note
    )
    return customers_json(conn, now, only=body.id)[0]


def change_contract(
    conn: Connection, customer_id: str, terms: ContractIn, now: datetime, config: CollectorConfig
) -> tuple[dict[str, Any], list[int]]:
    """Add a contract to a customer; open incidents move to the terms in force at ``now``.

    Returns the customer as the API shows it, and the incidents whose terms changed.
    """
    ends_at = start_of_day_utc(terms.ends_on) if terms.ends_on else None
    starts_at = start_of_day_utc(terms.starts_on)
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


def create_host(conn: Connection, body: NewHost, now: datetime) -> tuple[inventory.Host, str]:
    key = inventory.add_host(
        conn,
        body.id,
        body.customer_id,
        now,
        name=body.name,
        kind=body.kind,
        interval_s=body.interval_s,
    )
    return inventory.get_host(conn, body.id), key


def rotate_key(conn: Connection, host_id: str) -> tuple[inventory.Host, str]:
    key = inventory.rotate_host_key(conn, host_id)
    return inventory.get_host(conn, host_id), key
