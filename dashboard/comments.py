"""Adding a comment to an incident from a page: the operators' incident page and the portal."""

from __future__ import annotations

from aiohttp import web

from collector.operations.signin import Account
from collector.operations.tickets import NewComment, NotTheirs, comment
from collector.web.appkeys import CLOCK, CONFIG, DATABASE
from dashboard.render import render
from dashboard.sessions import client_address


async def add_comment(
    request: web.Request, account: Account, incident_id: int, body: NewComment
) -> bool:
    """Write the comment (and its mail to the other side); False when the incident is not one
    ``account`` may see, which the page answers as not found."""
    try:
        await request.app[DATABASE].write(
            comment,
            account,
            incident_id,
            body,
            address=client_address(request),
            now=request.app[CLOCK](),
            config=request.app[CONFIG],
        )
    except NotTheirs:
        return False
    return True


async def nothing_to_add(request: web.Request, what: str) -> web.Response:
    """The answer to a comment that is blank (or only white space) or too long: refused, so
    nobody is told it was added when nothing was."""
    context = {"title": "Nothing to add", "message": f"Write the {what} (up to 10,000 characters)."}
    return await render(request, "error.html", context, status=400)
