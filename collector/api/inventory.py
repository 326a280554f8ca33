"""Customers and hosts: list, create, look up, rotate a host's signing key.

A host's key is in the answer to its creation and to a rotation, and nowhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from collector.api.bodies import ContractIn, NewCustomer, NewHost, parse_body
from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.contracts import installation_contract, start_of_day_utc
from collector.operations.incidents import recalculate_for_customer
from collector.store import inventory
from collector.store.inventory import AlreadyExists, NotFound
from collector.store.operators import Operator
from collector.store.schema import contacts
from collector.web.appkeys import CLOCK, CONFIG, DATABASE, HOST_KEYS
from collector.web.errors import refuse
from collector.web.render import contract_json, host_json, host_with_key_json, rfc3339

INSTALLATION_NOTE = "included with the installation: one month of Cat1"


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


async def post_contract(request: web.Request, _operator: Operator) -> web.Response:
    body = await parse_body(request, ContractIn)
    known = tier_names(request.app[CONFIG])
    if body.tier not in known:
        problem = f"unknown tier {body.tier!r}; the catalogue has {', '.join(sorted(known))}"
        raise refuse(400, problem, field="tier")
    customer_id = request.match_info["id"]
    try:
        customer, changed = await request.app[DATABASE].write(
            change_contract, customer_id, body, request.app[CLOCK](), request.app[CONFIG]
        )
    except NotFound as exc:
        raise refuse(404, str(exc)) from None
    return web.json_response({"customer": customer, "incidents_recalculated": changed}, status=201)


async def list_customers(request: web.Request, _operator: Operator) -> web.Response:
    now = request.app[CLOCK]()
    return web.json_response(await request.app[DATABASE].read(customers_json, now))


async def post_customer(request: web.Request, _operator: Operator) -> web.Response:
    body = await parse_body(request, NewCustomer)
    problem = unknown_tier(body, request.app[CONFIG])
    if problem:
        raise refuse(400, problem, field="contract.tier")
    try:
        created = await request.app[DATABASE].write(create_customer, body, request.app[CLOCK]())
    except (AlreadyExists, IntegrityError):
        raise refuse(409, f"customer {body.id!r} exists already", field="id") from None
    return web.json_response(created, status=201)


def _hosts(conn: Connection, customer_id: str | None) -> list[inventory.Host]:
    if customer_id is not None and customer_id not in {
        c["id"] for c in inventory.list_customers(conn)
    }:
        raise NotFound(f"no customer {customer_id!r}")
    return inventory.list_hosts(conn, customer_id)


async def list_hosts(request: web.Request, _operator: Operator) -> web.Response:
    customer_id = request.query.get("customer")
    try:
        hosts = await request.app[DATABASE].read(_hosts, customer_id)
    except NotFound as exc:
        raise refuse(404, str(exc), field="customer") from None
    return web.json_response([host_json(h) for h in hosts])


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


async def post_host(request: web.Request, _operator: Operator) -> web.Response:
    body = await parse_body(request, NewHost)
    try:
        host, key = await request.app[DATABASE].write(create_host, body, request.app[CLOCK]())
    except NotFound as exc:
        raise refuse(400, str(exc), field="customer_id") from None
    except (AlreadyExists, IntegrityError):
        raise refuse(409, f"host {body.id!r} exists already", field="id") from None
    location = f"/api/v1/hosts/{host.id}"
    return web.json_response(
        host_with_key_json(host, key), status=201, headers={"Location": location}
    )


async def get_host(request: web.Request, _operator: Operator) -> web.Response:
    try:
        host = await request.app[DATABASE].read(inventory.get_host, request.match_info["id"])
    except NotFound as exc:
        raise refuse(404, str(exc)) from None
    return web.json_response(host_json(host))


def rotate_key(conn: Connection, host_id: str) -> tuple[inventory.Host, str]:
    key = inventory.rotate_host_key(conn, host_id)
    return inventory.get_host(conn, host_id), key


async def post_rotate_key(request: web.Request, _operator: Operator) -> web.Response:
    try:
        host, key = await request.app[DATABASE].write(rotate_key, request.match_info["id"])
    except NotFound as exc:
        raise refuse(404, str(exc)) from None
    # The ingest cache still holds the old key: drop it so the old key stops working now.
    request.app[HOST_KEYS].forget()
    return web.json_response(host_with_key_json(host, key))
