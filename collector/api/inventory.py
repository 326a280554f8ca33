"""``/api/v1/customers`` and ``/api/v1/hosts``: list, create, look up, rotate a host's key.

The work is ``collector.operations.inventory``'s; here requests become its calls and its
refusals become JSON errors.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from collector.api.bodies import id_filter, parse_body
from collector.ingest.handler import HOST_KEYS
from collector.operations.figures import latest_json
from collector.operations.inventory import (
    AddressTaken,
    ContractIn,
    NewCustomer,
    NewHost,
    TooManyContacts,
    UnknownProfile,
    change_contract,
    create_customer,
    create_host,
    customers_json,
    host_snmp_json,
    hosts_of,
    rotate_key,
    tier_names,
    unknown_tier,
)
from collector.store import inventory
from collector.store.inventory import AlreadyExists, NotFound
from collector.store.operators import Operator
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.errors import refuse
from collector.web.render import host_json, host_with_key_json


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
    except TooManyContacts as exc:
        raise refuse(409, str(exc), field="tier") from None
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


async def list_hosts(request: web.Request, _operator: Operator) -> web.Response:
    customer_id = id_filter(request, "customer")
    try:
        hosts = await request.app[DATABASE].read(hosts_of, customer_id)
    except NotFound as exc:
        raise refuse(404, str(exc), field="customer") from None
    return web.json_response([host_json(h) for h in hosts])


async def post_host(request: web.Request, _operator: Operator) -> web.Response:
    body = await parse_body(request, NewHost)
    try:
        host, key = await request.app[DATABASE].write(
            create_host, body, request.app[CLOCK](), request.app[CONFIG]
        )
    except NotFound as exc:
        raise refuse(404, str(exc), field="customer_id") from None
    except UnknownProfile as exc:
        raise refuse(400, str(exc), field="snmp.profile") from None
    except AddressTaken as exc:
        raise refuse(409, str(exc), field="address") from None
    except (AlreadyExists, IntegrityError):
        raise refuse(409, f"host {body.id!r} exists already", field="id") from None
    location = f"/api/v1/hosts/{host.id}"
    snmp = await request.app[DATABASE].read(host_snmp_json, host.id)
    return web.json_response(
        {**host_with_key_json(host, key), **snmp}, status=201, headers={"Location": location}
    )


async def get_host(request: web.Request, _operator: Operator) -> web.Response:
    """The host, with ``latest``: each of its figures' newest value."""
    try:
        host, latest = await request.app[DATABASE].read(host_with_latest, request.match_info["id"])
    except NotFound as exc:
        raise refuse(404, str(exc)) from None
    snmp = await request.app[DATABASE].read(host_snmp_json, host.id)
    return web.json_response({**host_json(host), **snmp, "latest": latest})


def host_with_latest(conn: Connection, host_id: str) -> tuple[inventory.Host, dict[str, float]]:
    return inventory.get_host(conn, host_id), latest_json(conn, host_id)


async def post_rotate_key(request: web.Request, _operator: Operator) -> web.Response:
    try:
        host, key = await request.app[DATABASE].write(rotate_key, request.match_info["id"])
    except NotFound as exc:
        raise refuse(404, str(exc)) from None
    # The ingest cache still holds the old key: drop it so the old key stops working now.
    request.app[HOST_KEYS].forget()
    return web.json_response(host_with_key_json(host, key))
