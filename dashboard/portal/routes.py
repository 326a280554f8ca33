"""The portal's pages, all under /portal/: path, then method, then handler."""

from __future__ import annotations

from aiohttp.typedefs import Handler

from dashboard.portal import hosts, pages, password, people

PAGES: dict[str, dict[str, Handler]] = {
    "/portal/": {"GET": pages.status_page},
    "/portal/hosts/{host_id}": {"GET": hosts.host_page},
    "/portal/hosts/{host_id}/series.json": {"GET": hosts.host_series},
    "/portal/faults": {"GET": pages.fault_list},
    "/portal/faults/{fault_id}/ack": {"POST": pages.acknowledge_fault},
    "/portal/tickets": {"GET": pages.ticket_list, "POST": pages.create_ticket},
    "/portal/tickets/new": {"GET": pages.new_ticket_page},
    "/portal/tickets/{incident_id}": {"GET": pages.ticket_page},
    "/portal/tickets/{incident_id}/comments": {"POST": pages.post_comment},
    "/portal/contract": {"GET": pages.contract_page},
    "/portal/people": {"GET": people.people_page},
    "/portal/people/invite": {"POST": people.invite},
    "/portal/people/contacts": {"POST": people.save_contacts},
    "/portal/password/{token}": {"GET": password.password_page, "POST": password.set_password},
    "/portal/reset": {"GET": password.reset_page, "POST": password.send_reset},
}
