"""The on-call page: who is on call now and next, the rota for the coming weeks, the order
people are paged in, and the incidents paging an engineer now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from collector.store import pages as page_store
from collector.store.pages import PageRow, PagingIncident
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard.render import render
from dashboard.sessions import require_operator

#: How many weeks of the rota the page shows, the current one included.
WEEKS = 8


@dataclass(frozen=True)
class PagingRow:
    incident: PagingIncident
    pages: list[PageRow]


def open_pages(conn: Connection) -> list[PagingRow]:
    """Incidents paging an engineer that nobody has taken yet, with the pages sent so far."""
    return [
        PagingRow(incident, page_store.pages_for(conn, incident.id))
        for incident in page_store.awaiting_engineer(conn)
    ]


@require_operator
async def oncall_page(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    rota = request.app[CONFIG].oncall.rota()
    shifts = rota.shifts_from(now, WEEKS)
    context: dict[str, Any] = {
        "shifts": shifts,
        "current": shifts[0] if shifts else None,
        "following": shifts[1] if len(shifts) > 1 else None,
        "chain": rota.escalation_chain(now),
        "paging": await request.app[DATABASE].read(open_pages),
        "rotation": rota.rotation,
    }
    return await render(request, "oncall.html", context)
