"""The JSON API for operators and tools: one table of paths, every route behind a bearer token.

The tables are laid out as ``openapi.json`` documents them (path, then method); the handlers live
in the modules named for what they serve (``inventory``, ``host_detail``, ``figures``,
``faults``, ``incidents``, ``maintenance``, ``accounts``, ``calendar``, ``export``, ``portal``,
``portal_figures``).
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
    portal_figures,
)
from collector.api.auth import (
    CustomerHandler,
    OperatorHandler,
    customer_required,
    operator_required,
)

PREFIX = "/api/v1"

#: The operators' API, as openapi.json lays it out: path (under /api/v1), method, handler.
OPERATOR_PATHS: dict[str, dict[str, OperatorHandler]] = {
    "/customers": {"GET": inventory.list_customers, "POST": inventory.post_customer},
    "/customers/{id}/contracts": {"POST": inventory.post_contract},
    "/hosts": {"GET": inventory.list_hosts, "POST": inventory.post_host},
    "/hosts/{id}": {"GET": inventory.get_host},
    "/hosts/{id}/rotate-key": {"POST": inventory.post_rotate_key},
    "/hosts/{id}/series": {"GET": figures.get_host_series},
    "/hosts/{id}/probes": {"GET": host_detail.get_host_probes},
    "/hosts/{id}/faults": {"GET": host_detail.get_host_faults},
    "/faults": {"GET": faults.list_faults},
    "/faults/{id}": {"GET": faults.get_fault},
    "/faults/{id}/acknowledge": {"POST": faults.post_acknowledge},
    "/incidents": {"GET": faults.list_incidents},
    "/incidents/{id}": {"GET": incidents.get_incident},
    f"/incidents/{{id}}/{{action:{incidents.ACTION_PATTERN}}}": {"POST": incidents.post_action},
    "/incidents/{id}/comments": {"POST": accounts.post_incident_comment},
    "/outbox": {"GET": faults.list_outbox},
    "/maintenance": {"GET": maintenance.list_maintenance, "POST": maintenance.post_maintenance},
    "/maintenance/{id}/end": {"POST": maintenance.post_end_maintenance},
    "/export/prometheus": {"GET": export.get_prometheus_export},
    "/users": {"GET": accounts.list_users, "POST": accounts.post_user},
    "/audit": {"GET": accounts.list_audit},
    "/calendar/announcements": {
        "GET": calendar.list_announcements,
        "POST": calendar.post_announcement,
    },
    "/calendar/announcements/{id}/withdraw": {"POST": calendar.post_withdraw},
}

#: The customers' API: a customer user's token, every answer narrowed to their customer.
CUSTOMER_PATHS: dict[str, dict[str, CustomerHandler]] = {
    "/portal/hosts": {"GET": portal.list_hosts},
    "/portal/hosts/{id}": {"GET": portal_figures.get_host},
    "/portal/hosts/{id}/series": {"GET": portal_figures.get_host_series},
    "/portal/faults": {"GET": portal.list_faults},
    "/portal/faults/{id}": {"GET": portal.get_fault},
    "/portal/faults/{id}/acknowledge": {"POST": portal.post_acknowledge},
    "/portal/tickets": {"GET": portal.list_tickets, "POST": portal.post_ticket},
    "/portal/tickets/{id}": {"GET": portal.get_ticket},
    "/portal/tickets/{id}/comments": {"POST": portal.post_comment},
}


def setup(app: web.Application) -> None:
    """Add the JSON API routes, each wrapped with bearer-token authentication."""
    for path, methods in OPERATOR_PATHS.items():
        for method, handler in methods.items():
            app.router.add_route(method, PREFIX + path, operator_required(handler))
    for path, customer_methods in CUSTOMER_PATHS.items():
        for method, customer_handler in customer_methods.items():
            app.router.add_route(method, PREFIX + path, customer_required(customer_handler))
