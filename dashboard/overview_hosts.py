"""Which hosts a filtered overview reads: those its filters may keep, narrowed in SQL.

Kind and tier SQL decides exactly. The search and the state it narrows to a superset, and
``Filters.matches`` finishes on what is read, so the page is the one that matching every host
in Python gave, at the cost of the matches instead of the fleet.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true

from collector.domain.maintenance import MaintenanceWindow
from collector.domain.rules import AGENTLESS_KINDS
from collector.store.schema import faults, host_checks, hosts
from dashboard.triage import Filters

#: States only a host that may need someone is in: the overview reads those anyway.
LOOKED_AT_STATES = ("problem", "silent", "waiting")
#: The characters beyond ASCII whose case folding holds ASCII ("ß" folds to "ss"): an ASCII
#: search matches them in Python, and SQL's lower() leaves them be. A test checks this list
#: against every character's ``str.casefold``.
FOLDS_INTO_ASCII = (
    "\u00df\u0130\u0149\u017f\u01f0"  # sharp s, dotted I, 'n, long s, j caron
    "\u1e96\u1e97\u1e98\u1e99\u1e9a\u1e9e"  # h t w y with marks, a with half ring, capital sharp s
    "\u212a\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"  # Kelvin sign, ff fi fl ffi ffl st ligatures
)


def search_narrowing(
    filters: Filters, customers: Iterable[tuple[str, str]], tiers: dict[str, str]
) -> ColumnElement[bool]:
    """Hosts that may pass the kind, tier and search filters (``customers``: id and name)."""
    narrowing = [hosts.c.kind == filters.kind] if filters.kind else []
    if filters.tier:
        of_tier = sorted(cid for cid, tier in tiers.items() if tier == filters.tier)
        narrowing.append(hosts.c.customer_id.in_(of_tier))
    if filters.q:
        needle = filters.q.casefold()
        named = sorted(cid for cid, name in customers if _contains(needle, cid, name))
        in_target = select(host_checks.c.host_id).where(_may_contain(host_checks.c.target, needle))
        narrowing.append(
            or_(
                hosts.c.customer_id.in_(named),
                _may_contain(hosts.c.id, needle),
                _may_contain(hosts.c.name, needle),
                hosts.c.id.in_(in_target),
            )
        )
    return and_(true(), *narrowing)


def state_narrowing(
    state: str, windows: Iterable[MaintenanceWindow], now: datetime
) -> ColumnElement[bool]:
    """Hosts that may be in ``state`` (those in ``LOOKED_AT_STATES`` are read apart)."""
    if state == "maintenance":
        in_force = [w for w in windows if w.active_at(now)]
        by_host = sorted({w.host_id for w in in_force if w.host_id is not None})
        by_customer = sorted({w.customer_id for w in in_force if w.customer_id is not None})
        return or_(false(), hosts.c.id.in_(by_host), hosts.c.customer_id.in_(by_customer))
    if state == "ok":  # reported (or watched without an agent), and no open fault; lateness
        # and whether a host with no agent was watched yet are left to the host's status
        faulty = select(faults.c.host_id).where(
            faults.c.resolved_at.is_(None), faults.c.host_id.is_not(None)
        )
        heard = or_(hosts.c.last_seen_at.is_not(None), hosts.c.kind.in_(sorted(AGENTLESS_KINDS)))
        return and_(heard, hosts.c.id.not_in(faulty))
    return true()


def _contains(needle: str, *texts: str) -> bool:
    return any(needle in text.casefold() for text in texts)


def _may_contain(column: ColumnElement[str], needle: str) -> ColumnElement[bool]:
    """Rows whose ``column`` may contain the casefolded ``needle`` when casefolded: all those
    that do, and a few that do not, which Python then drops.

    An ASCII needle lies in the casefold of an ASCII run of the text, which SQL's lower() gives
    alike on SQLite and PostgreSQL, unless a character that folds into ASCII is in play: rows
    with one of those are read too. A needle beyond ASCII narrows nothing.
    """
    if not needle.isascii():
        return true()
    folding = [c for c in FOLDS_INTO_ASCII if set(c.casefold()) & set(needle)]
    return or_(
        func.lower(column).contains(needle, autoescape=True),
        *(column.contains(c, autoescape=True) for c in folding),
    )
