"""Which open fault explains which: a host's fault (``host.down``) explains its host's others,
a site fault (``site.down``) those of its customer's hosts; the explained carry the cause's
check key in ``suppressed_by`` (recorded, not mailed)."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, or_, select

from collector.domain.faults import FaultKey
from collector.store.faults import FaultView, fault_view, views
from collector.store.schema import faults

_EXPLAINED_BY_SITE = (
    views()
    .where(
        faults.c.customer_id == bindparam("customer_id"),
        faults.c.suppressed_by == bindparam("check_key"),
        faults.c.resolved_at.is_(None),
        faults.c.id != bindparam("cause_id"),
    )
    .order_by(faults.c.id)
)
_EXPLAINED_BY_HOST = _EXPLAINED_BY_SITE.where(faults.c.host_id == bindparam("host_id"))


def explained_by(conn: Connection, cause: FaultView) -> list[FaultView]:
    """The open faults ``cause`` explains (recorded, not mailed): of its host, or for a site
    fault, of any host of its customer; in the order they opened."""
    params = {"customer_id": cause.customer_id, "check_key": cause.check_key, "cause_id": cause.id}
    if cause.host_id is None:
        rows = conn.execute(_EXPLAINED_BY_SITE, params)
    else:
        rows = conn.execute(_EXPLAINED_BY_HOST, {**params, "host_id": cause.host_id})
    return [fault_view(row) for row in rows]


_SITE_CAUSE_OF = (
    select(faults.c.id)
    .where(
        faults.c.customer_id == bindparam("customer_id"),
        faults.c.check_key == bindparam("by"),
        faults.c.resolved_at.is_(None),
    )
    .limit(1)
)
_SITE_CAUSE = _SITE_CAUSE_OF.where(faults.c.host_id.is_(None)).order_by(faults.c.id)
_CAUSE_OF = (
    _SITE_CAUSE_OF.where(
        or_(faults.c.host_id == bindparam("host_id"), faults.c.host_id.is_(None))
    ).order_by(faults.c.host_id.is_(None), faults.c.id)  # the host's own first
)


def cause_of(conn: Connection, explained: FaultKey, by: str) -> int | None:
    """The open fault with check key ``by`` that explains ``explained``: on the same host, or
    a site fault (no host) of its customer; None when it is not recorded (yet)."""
    params = {"customer_id": explained.customer_id, "by": by}
    if explained.host_id is None:  # a site fault: only another site fault explains it
        found = conn.scalar(_SITE_CAUSE, params)
    else:
        found = conn.scalar(_CAUSE_OF, {**params, "host_id": explained.host_id})
    return None if found is None else int(found)
