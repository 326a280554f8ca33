"""The JSON API for operators and tools: one table of routes, every one behind a bearer token.

The handlers live in ``inventory_api`` (customers, hosts, keys), ``hosts_detail_api`` (a host's
probe results and fault history), ``faults_api`` (faults, acknowledgements, incidents, outbox)
``incidents_api`` (one incident with its SLA explanation, lifecycle steps) and
``maintenance_api``; ``openapi.json`` documents each route listed here.
"""

from __future__ import annotations

from aiohttp import web

from collector.api import (
    faults_api,
    hosts_detail_api,
    incidents_api,
    inventory_api,
    maintenance_api,
)
from collector.api.auth import OperatorHandler, operator_required

ROUTES: tuple[tuple[str, str, OperatorHandler], ...] = (
    ("GET", "/api/v1/customers", inventory_api.list_customers),
    ("POST", "/api/v1/customers", inventory_api.post_customer),
    ("POST", "/api/v1/customers/{id}/contracts", inventory_api.post_contract),
    ("GET", "/api/v1/hosts", inventory_api.list_hosts),
    ("POST", "/api/v1/hosts", inventory_api.post_host),
    ("GET", "/api/v1/hosts/{id}", inventory_api.get_host),
    ("POST", "/api/v1/hosts/{id}/rotate-key", inventory_api.post_rotate_key),
    ("GET", "/api/v1/hosts/{id}/probes", hosts_detail_api.get_host_probes),
    ("GET", "/api/v1/hosts/{id}/faults", hosts_detail_api.get_host_faults),
    ("GET", "/api/v1/faults", faults_api.list_faults),
    ("GET", "/api/v1/faults/{id}", faults_api.get_fault),
    ("POST", "/api/v1/faults/{id}/acknowledge", faults_api.post_acknowledge),
    ("GET", "/api/v1/incidents", faults_api.list_incidents),
    ("GET", "/api/v1/incidents/{id}", incidents_api.get_incident),
    (
        "POST",
        f"/api/v1/incidents/{{id}}/{{action:{incidents_api.ACTION_PATTERN}}}",
        incidents_api.post_action,
    ),
    ("GET", "/api/v1/outbox", faults_api.list_outbox),
    ("GET", "/api/v1/maintenance", maintenance_api.list_maintenance),
    ("POST", "/api/v1/maintenance", maintenance_api.post_maintenance),
    ("POST", "/api/v1/maintenance/{id}/end", maintenance_api.post_end_maintenance),
)


def setup(app: web.Application) -> None:
    """Add the JSON API routes, each wrapped with bearer-token authentication."""
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, operator_required(handler))
