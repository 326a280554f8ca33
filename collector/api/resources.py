"""The JSON API for operators and tools: one table of routes, every one behind a bearer token.

The handlers live in ``inventory_api`` (customers, hosts, keys), ``hosts_detail_api`` (a host's
probe results and fault history), ``faults_api`` (faults, acknowledgements, incidents, outbox)
``incidents_api`` (one incident with its SLA explanation, lifecycle steps) and
``maintenance_api``; ``openapi.json`` documents each route listed here.
"""

from __future__ import annotations

from aiohttp import web

from collector.api import (
    accounts,
    calendar,
    export,
    faults,
    figures,
    host_detail,
    incidents,
    inventory,
    maintenance,
    portal,
)
from collector.api.auth import (
    CustomerHandler,
    OperatorHandler,
    customer_required,
    operator_required,
)

ROUTES: tuple[tuple[str, str, OperatorHandler], ...] = (
    ("GET", "/api/v1/customers", inventory.list_customers),
    ("POST", "/api/v1/customers", inventory.post_customer),
    ("POST", "/api/v1/customers/{id}/contracts", inventory.post_contract),
    ("GET", "/api/v1/hosts", inventory.list_hosts),
    ("POST", "/api/v1/hosts", inventory.post_host),
    ("GET", "/api/v1/hosts/{id}", inventory.get_host),
    ("POST", "/api/v1/hosts/{id}/rotate-key", inventory.post_rotate_key),
    ("GET", "/api/v1/hosts/{id}/series", figures.get_host_series),
    ("GET", "/api/v1/hosts/{id}/probes", host_detail.get_host_probes),
    ("GET", "/api/v1/hosts/{id}/faults", host_detail.get_host_faults),
    ("GET", "/api/v1/faults", faults.list_faults),
    ("GET", "/api/v1/faults/{id}", faults.get_fault),
    ("POST", "/api/v1/faults/{id}/acknowledge", faults.post_acknowledge),
    ("GET", "/api/v1/incidents", faults.list_incidents),
    ("GET", "/api/v1/incidents/{id}", incidents.get_incident),
    (
        "POST",
        f"/api/v1/incidents/{{id}}/{{action:{incidents.ACTION_PATTERN}}}",
        incidents.post_action,
    ),
    ("POST", "/api/v1/incidents/{id}/comments", accounts.post_incident_comment),
    ("GET", "/api/v1/outbox", faults.list_outbox),
    ("GET", "/api/v1/maintenance", maintenance.list_maintenance),
    ("GET", "/api/v1/export/prometheus", export.get_prometheus_export),
    ("POST", "/api/v1/maintenance", maintenance.post_maintenance),
    ("POST", "/api/v1/maintenance/{id}/end", maintenance.post_end_maintenance),
    ("GET", "/api/v1/users", accounts.list_users),
    ("POST", "/api/v1/users", accounts.post_user),
    ("GET", "/api/v1/audit", accounts.list_audit),
    ("GET", "/api/v1/calendar/announcements", calendar.list_announcements),
    ("POST", "/api/v1/calendar/announcements", calendar.post_announcement),
    ("POST", "/api/v1/calendar/announcements/{id}/withdraw", calendar.post_withdraw),
)


#: The customers' API: a customer user's token, every answer narrowed to their customer.
CUSTOMER_ROUTES: tuple[tuple[str, str, CustomerHandler], ...] = (
    ("GET", "/api/v1/portal/hosts", portal.list_hosts),
    ("GET", "/api/v1/portal/faults", portal.list_faults),
    ("GET", "/api/v1/portal/faults/{id}", portal.get_fault),
    ("POST", "/api/v1/portal/faults/{id}/acknowledge", portal.post_acknowledge),
    ("GET", "/api/v1/portal/tickets", portal.list_tickets),
    ("POST", "/api/v1/portal/tickets", portal.post_ticket),
    ("GET", "/api/v1/portal/tickets/{id}", portal.get_ticket),
    ("POST", "/api/v1/portal/tickets/{id}/comments", portal.post_comment),
)


def setup(app: web.Application) -> None:
    """Add the JSON API routes, each wrapped with bearer-token authentication."""
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, operator_required(handler))
    for method, path, customer_handler in CUSTOMER_ROUTES:
        app.router.add_route(method, path, customer_required(customer_handler))
