"""The customer page: contract and its terms in plain words, support numbers, contacts, hosts
with their state, open incidents, maintenance and announced days."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.operations.announced_days import announced_days
from collector.operations.contract_words import support_phones, targets_in_words
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store import maintenance as maintenance_store
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from collector.web.render import window_state
from dashboard.customer_words import hours_in_words
from dashboard.host_views import WindowRow
from dashboard.render import render
from dashboard.sessions import require_operator
from dashboard.views import OverviewFacts, triage_hosts, with_watched


def customer_facts(
    conn: Connection, customer_id: str, now: datetime, config: CollectorConfig
) -> dict[str, Any] | None:
    """Everything on the page, read in one transaction so its parts agree."""
    customer = next((c for c in inventory.list_customers(conn) if c["id"] == customer_id), None)
    if customer is None:
        return None
    facts = with_watched(
        conn,
        OverviewFacts(
            [customer],
            inventory.list_hosts(conn, customer_id),
            [
                f
                for f in fault_store.list_faults(conn, open_only=True, limit=10_000)
                if f.customer_id == customer_id
            ],
            inventory.current_tiers(conn, now),
            tuple(maintenance_store.active_windows(conn)),
            {},  # check targets serve the overview's search only
        ),
    )
    windows = [
        WindowRow(w, window_state(w, now))
        for w in maintenance_store.list_windows(conn, customer_id=customer_id)
    ]
    return {
        "customer": customer,
        "facts": facts,
        "contract": inventory.current_contract(conn, customer_id, now),
        "contacts": inventory.contacts_of(conn, customer_id),
        "incidents": [
            i for i in incident_store.list_incidents(conn) if i.customer_id == customer_id
        ],
        "windows": [w for w in windows if w.state != "ended"],
        "announced": announced_days(conn, customer_id, now, config),
    }


@require_operator
async def customer_page(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    config = request.app[CONFIG]
    found = await request.app[DATABASE].read(
        customer_facts, request.match_info["customer_id"], now, config
    )
    if found is None:
        context = {"title": "No such customer", "message": "There is no customer with that id."}
        return await render(request, "error.html", context, status=404)
    missed = config.monitoring.heartbeat_missed_intervals
    found["hosts"] = triage_hosts(found.pop("facts"), now, missed)
    contract = found["contract"]
    tier = catalogue_for(config).get(contract.tier) if contract else None
    found["tier"] = tier
    found["hours"] = hours_in_words(tier.calendar) if tier else ""
    found["targets"] = targets_in_words(tier) if tier else []
    found["phones"] = support_phones(tier, config)
    return await render(request, "customer.html", found)
