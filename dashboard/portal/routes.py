"""The portal's routes, all under /portal/."""

from __future__ import annotations

from aiohttp import web

from dashboard.portal import hosts, pages, password, people


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/portal/", pages.status_page)
    router.add_get("/portal/hosts/{host_id}", hosts.host_page)
    router.add_get("/portal/hosts/{host_id}/series.json", hosts.host_series)
    router.add_get("/portal/faults", pages.fault_list)
    router.add_post("/portal/faults/{fault_id}/ack", pages.acknowledge_fault)
    router.add_get("/portal/tickets", pages.ticket_list)
    router.add_get("/portal/tickets/new", pages.new_ticket_page)
    router.add_post("/portal/tickets", pages.create_ticket)
    router.add_get("/portal/tickets/{incident_id}", pages.ticket_page)
    router.add_post("/portal/tickets/{incident_id}/comments", pages.post_comment)
    router.add_get("/portal/contract", pages.contract_page)
    router.add_get("/portal/people", people.people_page)
    router.add_post("/portal/people/invite", people.invite)
    router.add_post("/portal/people/contacts", people.save_contacts)
    router.add_get("/portal/password/{token}", password.password_page)
    router.add_post("/portal/password/{token}", password.set_password)
    router.add_get("/portal/reset", password.reset_page)
    router.add_post("/portal/reset", password.send_reset)
