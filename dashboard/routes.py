"""Dashboard routes (operator UI and customer acknowledgement pages)."""

from __future__ import annotations

from aiohttp import web

from dashboard import (
    ack,
    audit_views,
    calendar_views,
    customer_views,
    fault_views,
    graph_views,
    host_views,
    incident_views,
    live,
    login,
    maintenance_views,
    oncall_views,
    paging_views,
    settings_views,
    user_views,
    views,
)
from dashboard.portal import routes as portal_routes
from dashboard.render import STATIC


def setup(app: web.Application) -> None:
    """Add the dashboard's routes to the collector application."""
    router = app.router
    live.setup(app)
    router.add_get("/", views.overview)
    router.add_get("/login", login.login_page)
    router.add_post("/login", login.login)
    router.add_post("/logout", login.logout)
    router.add_post("/sessions/end-all", login.end_all_sessions)
    router.add_get("/faults", fault_views.fault_list)
    router.add_get("/faults/{fault_id}", fault_views.fault_detail)
    router.add_post("/faults/{fault_id}/ack", fault_views.acknowledge)
    router.add_get("/incidents", views.incidents)
    incident_views.add_routes(router)
    router.add_get("/mail", views.mail)
    router.add_get("/audit", audit_views.audit_page)
    router.add_get("/users", user_views.users_page)
    router.add_post("/users", user_views.invite)
    router.add_post("/users/{user_id}/end-sessions", user_views.end_sessions)
    router.add_get("/customers/{customer_id}", customer_views.customer_page)
    router.add_get("/hosts/{host_id}", host_views.host_page)
    router.add_get("/hosts/{host_id}/series.json", graph_views.host_series)
    router.add_get("/maintenance", maintenance_views.maintenance_page)
    router.add_get("/oncall", oncall_views.oncall_page)
    router.add_post("/maintenance", maintenance_views.create_window)
    router.add_post("/maintenance/{window_id}/end", maintenance_views.end_window)
    router.add_get("/ack/{token}", ack.confirm_page)
    router.add_post("/ack/{token}", ack.acknowledge)
    paging_views.add_routes(router)
    settings_views.add_routes(router)
    portal_routes.add_routes(router)
    calendar_views.add_routes(router)
    router.add_static("/static/", STATIC)
