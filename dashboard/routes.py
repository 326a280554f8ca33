"""Dashboard routes (operator UI and customer acknowledgement pages)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

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

#: The operators' pages and the customers' link pages: path, then method, then handler.
PAGES: dict[str, dict[str, Handler]] = {
    "/": {"GET": views.overview},
    "/login": {"GET": login.login_page, "POST": login.login},
    "/logout": {"POST": login.logout},
    "/sessions/end-all": {"POST": login.end_all_sessions},
    "/faults": {"GET": fault_views.fault_list},
    "/faults/{fault_id}": {"GET": fault_views.fault_detail},
    "/faults/{fault_id}/ack": {"POST": fault_views.acknowledge},
    "/incidents": {"GET": views.incidents},
    "/mail": {"GET": views.mail},
    "/audit": {"GET": audit_views.audit_page},
    "/users": {"GET": user_views.users_page, "POST": user_views.invite},
    "/users/{user_id}/end-sessions": {"POST": user_views.end_sessions},
    "/customers/{customer_id}": {"GET": customer_views.customer_page},
    "/hosts/{host_id}": {"GET": host_views.host_page},
    "/hosts/{host_id}/series.json": {"GET": graph_views.host_series},
    "/maintenance": {
        "GET": maintenance_views.maintenance_page,
        "POST": maintenance_views.create_window,
    },
    "/maintenance/{window_id}/end": {"POST": maintenance_views.end_window},
    "/oncall": {"GET": oncall_views.oncall_page},
    "/settings": {"GET": settings_views.settings_page, "POST": settings_views.save_settings},
    "/ack/{token}": {"GET": ack.confirm_page, "POST": ack.acknowledge},
}


def setup(app: web.Application) -> None:
    """Add the dashboard's routes to the collector application."""
    router = app.router
    live.setup(app)
    for pages in (PAGES, portal_routes.PAGES):
        for path, methods in pages.items():
            for method, handler in methods.items():
                if method == "GET":
                    router.add_get(path, handler)  # which answers HEAD too
                else:
                    router.add_route(method, path, handler)
    incident_views.add_routes(router)
    paging_views.add_routes(router)
    calendar_views.add_routes(router)
    router.add_static("/static/", STATIC)
