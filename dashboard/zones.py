"""Which zone a page shows its times in: an operator's own choice (else the vendor's, from
``dashboard.timezone``); for a customer, their own wall clock."""

from __future__ import annotations

from aiohttp import web

from collector.config.tiers import catalogue_for
from collector.operations.signin import Account
from collector.store.inventory import current_contract, customer_locale
from collector.web.appkeys import CLOCK, CONFIG, DATABASE


async def customer_zone(request: web.Request, customer_id: str) -> str:
    """The customer's own zone (set on the customer, else their contract's business calendar),
    else the vendor's."""
    config = request.app[CONFIG]
    database = request.app[DATABASE]
    own = (await database.read(customer_locale, customer_id)).timezone
    if own:
        return own
    contract = await database.read(current_contract, customer_id, request.app[CLOCK]())
    tier = catalogue_for(config).get(contract.tier) if contract else None
    return tier.calendar.zone if tier and tier.calendar else config.dashboard.timezone


async def zone_for(request: web.Request, account: Account | None) -> str:
    """The zone of the person signed in: an operator's chosen one, a customer user's own."""
    if account is not None and account.customer_id:
        return await customer_zone(request, account.customer_id)
    if account is not None and account.timezone:
        return account.timezone
    return request.app[CONFIG].dashboard.timezone
