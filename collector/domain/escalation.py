"""Paging decisions: whom to page about an incident now, if anyone.

Given the incident's paging policy (copied from its tier), the facts of the incident, the
escalation chain and the pages already sent, ``next_page`` returns at most one action:

* nobody paged yet → page the first person in the chain (the engineer on call);
* ``escalate_after`` since the current person was first paged, without an engineer's
  acknowledgement → escalate to the next person in the chain (after the last, round to the
  first again: an unanswered critical incident is never left to go quiet);
* ``repage_after`` since the current person was last paged → page them again;
* an engineer acknowledged, responded, or the incident ended → nothing, ever again;
* nobody paged yet and the tier's staffed line is open now (Premium pages only "outside of the
  Standard Support line staffing hours") → nothing for now: the desk answers. Asked again at
  every sweep, so an incident opened at 18:30 and still unanswered when the line closes at
  19:00 pages at 19:00, as one opened after 19:00 pages at once;
* the fault's mail is held (a maintenance window, or another fault explains it — the host down
  behind a PBX down) → nothing for now: planned work wakes nobody, and one outage pages once,
  for the fault that explains it. When the hold lifts with the incident still open, paging
  starts from the first page. (A fault held from its opening has no incident to page for until
  its opening is mailed; this is for one held after its incident opened.)

A customer's acknowledgement is among the facts and is deliberately ignored: it says the
customer knows, not that an engineer is working on it (seed 000: the engineer is paged to
respond to the customer).

No person is paged again sooner than ``repage_after`` after their last page, whichever rule
pages them — an escalation that would wrap round to someone just paged waits its turn.

``next_page_at`` says when ``next_page`` will next have something to do, so that a caller can
wait until then instead of asking every minute: the facts are taken as they stand now, except
for the two that change with time alone — the staffed line closing and a maintenance window
ending — whose moments the caller supplies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class PageKind(StrEnum):
    PAGE = "page"
    REPAGE = "repage"
    ESCALATE = "escalate"


@dataclass(frozen=True)
class PagingPolicy:
    """The escalation part of a tier, for one incident's severity."""

    pages: bool
    page_response: timedelta | None = None
    repage_after: timedelta | None = None
    escalate_after: timedelta | None = None

    def __post_init__(self) -> None:
        for name in ("page_response", "repage_after", "escalate_after"):
            span = getattr(self, name)
            if span is not None and span <= timedelta():
                raise ValueError(f"{name} must be positive")

    @property
    def rest_between_pages(self) -> timedelta | None:
        """The least time between two pages to one person."""
        return self.repage_after or self.escalate_after


@dataclass(frozen=True)
class IncidentFacts:
    opened_at: datetime
    engineer_acknowledged_at: datetime | None = None
    #: An operator recorded the response to the customer: someone has the incident.
    responded_at: datetime | None = None
    #: Resolved or closed: nothing left to wake anyone for.
    ended_at: datetime | None = None
    #: Never stops paging; here so that the rule is stated, and tested, rather than implied.
    customer_acknowledged_at: datetime | None = None
    #: Why the fault's notifications wait now ("maintenance", "suppressed:<check>"), or None.
    held: str | None = None
    #: The tier's staffed line is open now, for a tier that pages only outside it.
    desk_staffed: bool = False

    @property
    def engineer_has_it(self) -> bool:
        return self.engineer_acknowledged_at is not None or self.responded_at is not None


@dataclass(frozen=True)
class PageSent:
    at: datetime
    kind: PageKind
    person: str


@dataclass(frozen=True)
class PageAction:
    kind: PageKind
    person: str
    #: For an escalation, whom it escalates from (they did not answer).
    after: str | None = None


def next_page(
    policy: PagingPolicy,
    facts: IncidentFacts,
    chain: Sequence[str],
    sent: Sequence[PageSent],
    now: datetime,
) -> PageAction | None:
    """The one page to send now, or None. ``sent`` is every page so far, in any order."""
    if not policy.pages or not chain or facts.engineer_has_it or facts.ended_at is not None:
        return None
    if facts.held is not None:
        return None
    if not sent:
        return None if facts.desk_staffed else PageAction(PageKind.PAGE, chain[0])
    history = sorted(sent, key=lambda page: page.at)
    levels = [page for page in history if page.kind is not PageKind.REPAGE]
    current = (levels or history)[-1]
    last_paged = {page.person: page.at for page in history}

    def rested(person: str) -> bool:
        rest = policy.rest_between_pages
        last = last_paged.get(person)
        return last is None or rest is None or now - last >= rest

    if policy.escalate_after is not None and now - current.at >= policy.escalate_after:
        following = _following(chain, current.person)
        if rested(following):
            return PageAction(PageKind.ESCALATE, following, after=current.person)
    repage = policy.repage_after
    if repage is not None and now - last_paged[current.person] >= repage:
        return PageAction(PageKind.REPAGE, current.person)
    return None


def next_page_at(
    policy: PagingPolicy,
    facts: IncidentFacts,
    chain: Sequence[str],
    sent: Sequence[PageSent],
    now: datetime,
    *,
    desk_closes_at: datetime | None = None,
    hold_lifts_at: datetime | None = None,
) -> datetime | None:
    """The earliest moment at or after ``now`` at which ``next_page`` returns an action with no
    new fact; None if none comes without one (an engineer takes it, it ends, a hold that does
    not lift by itself, or every page is sent). The facts hold as at ``now``, but for two that
    time changes alone: a staffed desk (``facts.desk_staffed``) stays staffed until
    ``desk_closes_at`` (None: for good), and a hold stays until ``hold_lifts_at`` (None: until
    a new fact lifts it, as another fault recovering lifts a suppression).

    The desk reopening or a maintenance window starting later only defer pages, so a caller
    who asks again at the moment returned misses nothing."""
    if not policy.pages or not chain or facts.engineer_has_it or facts.ended_at is not None:
        return None
    if facts.held is not None:
        if hold_lifts_at is None:
            return None
        lifts = max(now, hold_lifts_at)
        staffed = facts.desk_staffed and (desk_closes_at is None or lifts < desk_closes_at)
        unheld = replace(facts, held=None, desk_staffed=staffed)
        return next_page_at(policy, unheld, chain, sent, lifts, desk_closes_at=desk_closes_at)
    if not sent:
        return desk_closes_at if facts.desk_staffed else now
    moments = _escalation_and_repage_moments(policy, chain, sent)
    return max(now, min(moments)) if moments else None


def _escalation_and_repage_moments(
    policy: PagingPolicy, chain: Sequence[str], sent: Sequence[PageSent]
) -> list[datetime]:
    """When escalating and when re-paging come due after the pages ``sent``, as ``next_page``
    decides them: each holds from its moment on, so the earlier of the two is the next page."""
    history = sorted(sent, key=lambda page: page.at)
    levels = [page for page in history if page.kind is not PageKind.REPAGE]
    current = (levels or history)[-1]
    last_paged = {page.person: page.at for page in history}
    moments = []
    if policy.escalate_after is not None:
        escalate = current.at + policy.escalate_after
        following = last_paged.get(_following(chain, current.person))
        rest = policy.rest_between_pages
        if following is not None and rest is not None:
            escalate = max(escalate, following + rest)  # they wait their turn
        moments.append(escalate)
    if policy.repage_after is not None:
        moments.append(last_paged[current.person] + policy.repage_after)
    return moments


def _following(chain: Sequence[str], person: str) -> str:
    """Who comes after ``person``; the top of the chain if they are no longer in it."""
    if person not in chain:
        return chain[0]
    return chain[(list(chain).index(person) + 1) % len(chain)]
