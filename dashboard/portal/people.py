"""A customer-admin's page: their organisation's portal users (invite more) and the named
contacts the vendor mails (as many as the contract allows)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import Connection

from collector.operations.accounts import NotAllowed, invite_colleague, set_named_contacts
from collector.operations.inventory import TooManyContacts, named_contacts_allowed
from collector.store import customer_users, inventory
from collector.store.inventory import AlreadyExists
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard import csrf
from dashboard.portal.contacts_form import (
    CONTACT_ROWS,
    RefusedContacts,
    Typed,
    contacts_from,
    typed_rows,
)
from dashboard.render import render
from dashboard.sessions import client_address, logged_in_account, require_customer


def _facts(conn: Connection, customer_id: str, request: web.Request) -> dict[str, Any]:
    now, config = request.app[CLOCK](), request.app[CONFIG]
    contract = inventory.current_contract(conn, customer_id, now)
    return {
        "users": customer_users.list_users(conn, customer_id),
        "contacts": inventory.contacts_of(conn, customer_id),
        "allowed": named_contacts_allowed(contract.tier, config) if contract else None,
    }


async def _page(
    request: web.Request, error: str | None = None, status: int = 200, typed: Typed | None = None
) -> web.Response:
    """The page; a refused contacts form (``typed``) is shown as it was typed, not as stored."""
    who = logged_in_account(request)
    if who.role != "customer-admin" or who.customer_id is None:
        raise web.HTTPNotFound()
    facts = await request.app[DATABASE].read(_facts, who.customer_id, request)
    facts.update({"error": error, "rows": CONTACT_ROWS, "blamed": None})
    if typed is not None:
        facts.update({"contacts": typed.rows, "blamed": typed.field})
    return await render(request, "portal/people.html", facts, status=status)


@require_customer
async def people_page(request: web.Request) -> web.Response:
    return await _page(request)


@require_customer
@csrf.protect
async def invite(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email, role = form.get("email"), form.get("role") or "customer"
    try:
        await request.app[DATABASE].write(
            invite_colleague,
            logged_in_account(request),
            email if isinstance(email, str) else "",
            role if isinstance(role, str) else "",
            address=client_address(request),
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except NotAllowed:
        raise web.HTTPNotFound() from None
    except ValidationError:
        return await _page(request, "Give an email address and a role.", status=400)
    except AlreadyExists:
        # Only an address of the admin's own organisation gets here (another customer's is
        # answered as invited: ``invite_colleague``), so this tells them nothing new.
        return await _page(request, "That address is already one of your portal users.", 409)
    raise web.HTTPSeeOther("/portal/people")


@require_customer
@csrf.protect
async def save_contacts(request: web.Request) -> web.StreamResponse:
    rows = typed_rows(await request.post())
    try:
        people = contacts_from(rows)
    except RefusedContacts as exc:
        return await _page(request, str(exc), 400, Typed(rows, exc.field))
    try:
        await request.app[DATABASE].write(
            set_named_contacts,
            logged_in_account(request),
            people,
            address=client_address(request),
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except NotAllowed:
        raise web.HTTPNotFound() from None
    except TooManyContacts as exc:
        return await _page(request, f"Not saved: {exc}.", 400, Typed(rows, None))
    raise web.HTTPSeeOther("/portal/people")
