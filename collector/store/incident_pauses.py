"""What stops an incident's response clock, as recorded facts.

Two sources, one mechanism each:

* **Remote access lost** is read from the fault history, not copied anywhere: every fault on a
  remote-access check (``remote.*`` whose check is marked, or by default is, remote access:
  ``collector.domain.access``) covers ``[opened_at, resolved_at)`` (still open: until now), and
  the host's heartbeat and host-down faults say when its agent was silent. The faults table
  already records when access went and came back, for every incident alike, including outages
  that began before the incident opened — a second record could only drift from it.
* **Waiting on the customer** is an operator's word, so it is an ``incident_pauses`` row
  (reason ``waiting_on_customer``) opened and closed by the wait/resume actions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    and_,
    bindparam,
    case,
    insert,
    literal,
    or_,
    select,
    update,
)

from collector.domain.access import AccessLoss, Span, is_access_check
from collector.domain.rules import AGENTLESS_KINDS
from collector.store.hot_statements import HotFixedIn, HotStatement
from collector.store.schema import faults, host_checks, hosts, incident_pauses

WAITING = "waiting_on_customer"
REMOTE_PREFIX = "remote."
HOST_DOWN = "host.down"
HEARTBEAT = "agent.heartbeat"
#: Whose faults a statement reads: every host's, one host's, several's.
HostsShape = Literal["every", "one", "several"]


@dataclass(frozen=True)
class RemoteFault:
    """A ``remote.*`` fault as the clocks read it, and whether its check is remote access."""

    id: int
    customer_id: str
    host_id: str | None
    check_key: str
    opened_at: datetime
    resolved_at: datetime | None
    access: bool

    def overlaps(self, since: datetime, until: datetime) -> bool:
        """Whether it overlaps ``[since, until)``, as ``access_losses`` selects."""
        return self.opened_at < until and (self.resolved_at is None or self.resolved_at > since)

    @property
    def loss(self) -> AccessLoss:
        return AccessLoss(self.customer_id, self.check_key, self.opened_at, self.resolved_at)


def access_losses(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    host_ids: Iterable[str] | None = None,
    exclude_fault_id: int | None = None,
    still_open: bool = False,
) -> list[AccessLoss]:
    """Faults on remote-access checks overlapping ``[since, until)``, of the hosts named (every
    host when None), oldest first; with ``still_open``, only those not resolved yet (an index
    finds them, where the overlap with a window reads every fault resolved since)."""
    params: dict[str, object] = {"until": until}
    if not still_open:
        params["since"] = since
    hosts = _hosts_param(host_ids, params)
    read = _losses_read(hosts, exclude_fault_id is not None, still_open)
    if exclude_fault_id is not None:
        params["exclude"] = exclude_fault_id
    return [fault.loss for fault in _remote_faults(conn, read, params) if fault.access]


def remote_faults(
    conn: Connection, *, since: datetime, until: datetime, host_ids: Iterable[str] | None = None
) -> list[RemoteFault]:
    """Every ``remote.*`` fault overlapping ``[since, until)``, of the hosts named (every host
    when None), oldest first, access checks or not: what several incidents' clocks share."""
    params: dict[str, object] = {"since": since, "until": until}
    hosts = _hosts_param(host_ids, params)
    return _remote_faults(conn, _losses_read(hosts, False, False), params)


def _hosts_param(host_ids: Iterable[str] | None, params: dict[str, object]) -> HostsShape:
    """Which hosts a statement reads, its parameter set in ``params``: a list of ids costs
    more to bind than one, and the clocks of one incident read one host's."""
    if host_ids is None:
        return "every"
    ids = sorted(set(host_ids))
    if len(ids) == 1:
        params["host"] = ids[0]
        return "one"
    params["hosts"] = ids
    return "several"


def _remote_faults(
    conn: Connection, read: HotStatement | HotFixedIn, params: dict[str, object]
) -> list[RemoteFault]:
    return [remote_fault(row) for row in read.rows(conn, params)]


def remote_fault(row: Sequence[Any]) -> RemoteFault:
    """The fault of a row of ``STILL_OPEN_REMOTE``'s columns, in its order."""
    fault_id, customer_id, host_id, check_key, opened_at, resolved_at, flag = row
    return RemoteFault(
        fault_id, customer_id, host_id, check_key, opened_at, resolved_at,
        _is_access(check_key, flag),
    )  # fmt: skip


#: The remote-access flag of the check a fault's key names (None: the check's kind's default,
#: or the check is no longer configured), read with the fault: a check is one per host, kind
#: and name, and its key is ``remote.<kind>`` or ``remote.<kind>:<name>``.
_CHECK_KEY = (
    literal(REMOTE_PREFIX)
    + host_checks.c.kind
    + case((host_checks.c.name != "", literal(":") + host_checks.c.name), else_=literal(""))
)
_FLAG = (
    select(host_checks.c.remote_access)
    .where(host_checks.c.host_id == faults.c.host_id, faults.c.check_key == _CHECK_KEY)
    .scalar_subquery()
    .label("remote_access")
)


@functools.cache
def _losses_read(hosts: HostsShape, excluding: bool, still_open: bool) -> HotStatement | HotFixedIn:
    """``_losses_query``, read hot (``hot_statements``): the clocks read it at almost every stop of
    the simulated clock. Several hosts are bound as ``FixedIn`` binds them (parameter
    ``hosts``)."""
    if hosts != "several":
        return HotStatement(_losses_query(hosts == "one", excluding, still_open))
    every = _losses_query(False, excluding, still_open)
    return HotFixedIn(faults.c.host_id, every.where, "hosts")


def _losses_query(one_host: bool, excluding: bool, still_open: bool) -> Select[Any]:
    """``access_losses``' statement in each of its shapes (of every host's faults, or of
    the one in parameter ``host``), built once (``_losses_read``): every incident clock runs
    it, and building a statement costs more than running this one."""
    resolved = faults.c.resolved_at
    since: BindParameter[datetime] = bindparam("since", type_=resolved.type)
    query = select(
        faults.c.id, faults.c.customer_id, faults.c.host_id, faults.c.check_key,
        faults.c.opened_at, resolved, _FLAG,
    ).where(
        faults.c.check_key.startswith(REMOTE_PREFIX),
        faults.c.opened_at < bindparam("until"),
        resolved.is_(None) if still_open else or_(resolved.is_(None), resolved > since),
    )  # fmt: skip
    if one_host:
        query = query.where(faults.c.host_id == bindparam("host"))
    if excluding:
        query = query.where(faults.c.id != bindparam("exclude"))
    return query.order_by(faults.c.opened_at, faults.c.id)


def _is_access(check_key: str, flag: bool | None) -> bool:
    kind = check_key.partition(":")[0].removeprefix(REMOTE_PREFIX)
    return is_access_check(kind, flag)


_INTERVALS = select(hosts.c.id, hosts.c.interval_s, hosts.c.agent_interval_s).where(
    hosts.c.id.in_(bindparam("hosts", expanding=True))
)
#: When a host was down rather than withholding access: its agent's heartbeat fault. A host
#: with no agent has none, so its host-down fault (every access check failing) stands in. An
#: agent's host-down fault is no silence: while the agent reports it says "unreachable from the
#: vendor", every access check failing with the host alive, which is access withheld.
_SILENCES = (
    select(faults.c.host_id, faults.c.check_key, faults.c.opened_at, faults.c.resolved_at)
    .join(hosts, hosts.c.id == faults.c.host_id)
    .where(
        faults.c.host_id.in_(bindparam("hosts", expanding=True)),
        or_(
            faults.c.check_key == HEARTBEAT,
            and_(faults.c.check_key == HOST_DOWN, hosts.c.kind.in_(sorted(AGENTLESS_KINDS))),
        ),
        faults.c.opened_at <= bindparam("until"),  # in force from the moment it opens
    )
)


@dataclass(frozen=True)
class Silence:
    """A heartbeat fault (an agentless host's host-down fault): the host down, not reachable
    and not reporting."""

    opened_at: datetime
    #: A heartbeat fault opens ``missed_intervals`` reporting intervals after the last report:
    #: the silence began then.
    start: datetime
    resolved_at: datetime | None

    def span(self, until: datetime) -> Span:
        return (self.start, min(self.resolved_at or until, until))


def silences_of(
    conn: Connection, host_ids: Iterable[str], *, until: datetime, missed_intervals: int
) -> dict[str, list[Silence]]:
    """Per host, its silences that began by ``until``."""
    ids = sorted(set(host_ids))
    if not ids:
        return {}
    # As the heartbeat reads it: the host's setting, else what its agent reports.
    intervals = {
        row.id: row.interval_s or row.agent_interval_s
        for row in conn.execute(_INTERVALS, {"hosts": ids})
    }
    found: dict[str, list[Silence]] = {host_id: [] for host_id in ids}
    for row in conn.execute(_SILENCES, {"hosts": ids, "until": until}):
        interval_s = intervals.get(row.host_id) or 60.0
        lead = timedelta(seconds=float(interval_s) * missed_intervals)
        start = row.opened_at - lead if row.check_key == HEARTBEAT else row.opened_at
        found[row.host_id].append(Silence(row.opened_at, start, row.resolved_at))
    return found


def start_waiting(conn: Connection, incident_id: int, at: datetime) -> None:
    conn.execute(
        insert(incident_pauses).values(
            incident_id=incident_id, reason=WAITING, starts_at=at, ends_at=None
        )
    )


def stop_waiting(conn: Connection, incident_id: int, at: datetime) -> datetime | None:
    """End the incident's open wait; returns when it started (None: it was not waiting)."""
    since = waiting_since(conn, incident_id)
    if since is None:
        return None
    conn.execute(
        update(incident_pauses)
        .where(
            incident_pauses.c.incident_id == incident_id,
            incident_pauses.c.reason == WAITING,
            incident_pauses.c.ends_at.is_(None),
        )
        .values(ends_at=max(at, since))
    )
    return since


def waiting_since(conn: Connection, incident_id: int) -> datetime | None:
    """When the current wait on the customer began; None when not waiting."""
    return conn.scalar(
        select(incident_pauses.c.starts_at).where(
            incident_pauses.c.incident_id == incident_id,
            incident_pauses.c.reason == WAITING,
            incident_pauses.c.ends_at.is_(None),
        )
    )


_WAITS = select(
    incident_pauses.c.incident_id, incident_pauses.c.starts_at, incident_pauses.c.ends_at
).order_by(incident_pauses.c.incident_id, incident_pauses.c.starts_at, incident_pauses.c.id)
#: One incident's (its clocks worked out alone) and several's: a list of ids costs more to bind.
#: Read hot (``hot_statements``): the clocks read them at most stops of the simulated clock.
_WAITS_OF_ONE = HotStatement(
    _WAITS.where(
        incident_pauses.c.incident_id == bindparam("incident"),
        incident_pauses.c.reason == WAITING,
    )
)
_WAITS_OF = HotFixedIn(
    incident_pauses.c.incident_id, _WAITS.where(incident_pauses.c.reason == WAITING).where,
    "incidents",
)  # fmt: skip


def waits_of(
    conn: Connection, incident_ids: Iterable[int]
) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """Per incident, every wait on the customer as ``(start, end)``, oldest first; end None
    while still waiting."""
    ids = sorted(set(incident_ids))
    found: dict[int, list[tuple[datetime, datetime | None]]] = {}
    if len(ids) == 1:
        rows = _WAITS_OF_ONE.rows(conn, {"incident": ids[0]})
    elif ids:
        rows = _WAITS_OF.rows(conn, {"incidents": ids})
    else:
        return found
    for incident_id, starts_at, ends_at in rows:
        found.setdefault(incident_id, []).append((starts_at, ends_at))
    return found


#: Every ``remote.*`` fault open now, whichever its check, as ``remote_fault`` reads a row.
STILL_OPEN_REMOTE = select(
    faults.c.id, faults.c.customer_id, faults.c.host_id, faults.c.check_key,
    faults.c.opened_at, faults.c.resolved_at, _FLAG,
).where(
    faults.c.check_key.startswith(REMOTE_PREFIX), faults.c.resolved_at.is_(None)
)  # fmt: skip
_STILL_OPEN = STILL_OPEN_REMOTE.order_by(faults.c.opened_at, faults.c.id)


def still_open_remote(conn: Connection) -> list[RemoteFault]:
    """Every ``remote.*`` fault open now, whichever its check (``access`` says whether it is
    remote access), oldest first."""
    return [remote_fault(row) for row in conn.execute(_STILL_OPEN)]
