"""The JSON API for operators and tools: one table of routes, every one behind a bearer token.

The handlers live in ``inventory_api`` (customers, hosts, keys), ``hosts_detail_api`` (a host's
probe results and fault history), ``faults_api`` (faults, acknowledgements, incidents, outbox)
``incidents_api`` (one incident with its SLA explanation, lifecycle steps) and
``maintenance_api``; ``openapi.json`` documents each route listed here.
"""

from __future__ import annotations

from aiohttp import web

from collector.api import export, faults, figures, host_detail, incidents, inventory, maintenance
from collector.api.auth import OperatorHandler, operator_required

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
    ("GET", "/api/v1/outbox", faults.list_outbox),
    ("GET", "/api/v1/maintenance", maintenance.list_maintenance),
    ("GET", "/api/v1/export/prometheus", export.get_prometheus_export),
    ("POST", "/api/v1/maintenance", maintenance.post_maintenance),
    ("POST", "/api/v1/maintenance/{id}/end", maintenance.post_end_maintenance),
)


def setup(app: web.Application) -> None:
    """Add the JSON API routes, each wrapped with bearer-token authentication."""
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, operator_required(handler))
