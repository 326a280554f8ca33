"""What the heartbeat sweep reads of the watched hosts (not archived, of a kind that runs the
agent): when each was last heard of, its intervals, and whether its heartbeat is at rest or
a raised fault steady at critical, judged in SQL from the stored state, none decoded.

The sweep evaluates few hosts in a quiet fleet: those not at rest, and those whose silence
has just begun or ended. ``hosts_to_sweep`` reads only those, and what the next silence can be,
judging deadlines in SQL within a margin (the database's time arithmetic is not Python's to
the microsecond) and leaving the exact decision to the caller.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from collector.domain.policy import CheckPolicy, Status
from collector.store.columns import UtcDateTime
from collector.store.hot_statements import HotStatement
from collector.store.inventory import DEFAULT_INTERVAL_S
from collector.store.schema import check_states, hosts

#: The margin, in seconds, that SQL's deadlines are judged with: far above their error (SQLite
#: keeps milliseconds), far below any interval.
MARGIN_S = 1.0


class Watched(NamedTuple):  # a tuple: one for every host read, every sweep
    """What the heartbeat sweep reads of a host: when it was last heard of (last seen, else
    added), its intervals, and whether its state of the check asked about is at rest
    (``watches.at_rest``), or a raised fault steady at the status asked about
    (``watches.steady_failing``): each False when not, or when it has no such state."""

    host_id: str
    last_heard: datetime
    interval_s: float | None
    agent_interval_s: float | None
    at_rest: bool
    steady_failing: bool


#: A bad status, and the policy of the check asked about: ``steady_failing`` at that status.
Failing = tuple[Status, CheckPolicy]


class Heard(NamedTuple):
    """When a host was last heard of, and its intervals: what its deadline is made of."""

    last_heard: datetime
    interval_s: float | None
    agent_interval_s: float | None


class epoch_seconds(FunctionElement[float]):
    """Seconds since 1970 of a naive UTC timestamp, within a millisecond on SQLite."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds)
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def _stored(fragment: Any) -> ColumnElement[bool]:
    """Whether the stored state's text holds ``fragment``: far cheaper than a JSON path. In
    JSON text, a quote that is not escaped only ever opens or closes a key or a string, so
    ``"raised"`` is found wherever that key is, and ``"raised": true`` only where it is true
    (or, no harm done, where a string is exactly "raised" in a state that is not at rest)."""
    return _text.contains(fragment)


def _stored_status(fragment: Any) -> ColumnElement[bool]:
    """Whether the stored state's status is the one in ``fragment`` (``"status": "ok"``, as
    ``_status_fragment`` writes it), found in the text rather than by decoding the JSON, which
    costs more than all the rest of the read. The state is flat and its keys are fixed names
    with no quote in them, so the fragment's first quote opens the key ``status`` (no other
    ends so: ``last_bad_status`` has no quote before ``status``) and its value is the string
    quoted (``_stored``). A state written with other spacing is not found, so judged neither
    at rest nor steady: evaluated."""
    return _stored(fragment)


def _status_fragment(status: Status) -> str:
    """``"status": "ok"``: the status as ``WatchState.to_json`` writes it, in JSON text."""
    return f'"status": "{status.value}"'


def _stored_at_rest() -> ColumnElement[bool]:
    """``watches.at_rest`` of the stored state, in SQL. ``WatchState.to_json`` leaves out a
    false flag, so at rest is: status ok, neither flag stored, fewer changes than a spell. A
    state stored otherwise (a false flag written out) counts as not at rest: the caller then
    evaluates it, which is never wrong, only slower."""
    return and_(
        _stored_status(_status_fragment(Status.OK)),
        ~_stored('"raised"'),
        ~_stored('"flapping"'),
        _fewer_changes_than_a_spell(),
    )


def _stored_steady_failing() -> ColumnElement[bool]:
    """``watches.steady_failing`` of the stored state, for a status (the ``failing``
    parameter, as ``_status_fragment`` writes it) that its policy gives the severity in the
    ``raised_at`` parameter (``"severity": "critical"``, as JSON text writes it), in SQL:
    raised, at that severity, not flapping, fewer changes than a spell. A state written
    otherwise (with other spacing, or a false flag written out) counts as not steady:
    evaluated, as in ``_stored_at_rest``."""
    return and_(
        _stored_status(bindparam("failing")),
        _stored('"raised": true'),
        _stored(bindparam("raised_at")),
        ~_stored('"flapping"'),
        _fewer_changes_than_a_spell(),
    )


def _fewer_changes_than_a_spell() -> ColumnElement[bool]:
    """Fewer status changes stored than start a flapping spell (the ``flap_changes``
    parameter): none, most often, which is seen without reading the JSON."""
    count = func.json_array_length(check_states.c.state["changes"])
    return or_(~_stored('"changes"'), count < bindparam("flap_changes"))


_HEARD = func.coalesce(hosts.c.last_seen_at, hosts.c.created_at, type_=UtcDateTime)
#: ``inventory.heartbeat_interval`` in SQL: the host's own, else the agent's (not 0), else 60 s.
_INTERVAL = case(
    (hosts.c.interval_s.is_not(None), hosts.c.interval_s),
    (hosts.c.agent_interval_s != 0, hosts.c.agent_interval_s),
    else_=DEFAULT_INTERVAL_S,
)
#: When the host falls silent (``rules.heartbeat_deadline``), in seconds since 1970.
_DEADLINE = epoch_seconds(_HEARD) + bindparam("missed") * _INTERVAL
_text = cast(check_states.c.state, Text)
_OF_HOST = and_(check_states.c.host_id == hosts.c.id, check_states.c.check_key == bindparam("key"))
#: What the host's state is, each judged once: at rest, steady, or neither (or none at all).
_REST, _STEADY, _NEITHER = 1, 2, 0
_KIND = case((_stored_at_rest(), _REST), (_stored_steady_failing(), _STEADY), else_=_NEITHER)
_NOW = bindparam("now_s", type_=Float)
_MARGIN = bindparam("margin_s", type_=Float)


@dataclass(frozen=True)
class _Reads:
    """The reads of the hosts watched: every one, those maybe due, those maybe next."""

    every: HotStatement
    maybe_due: HotStatement
    maybe_next: HotStatement


@functools.cache
def _reads(skip_kinds: frozenset[str]) -> _Reads:
    """The reads of the hosts not of ``skip_kinds``, built once for them: the kinds are part
    of the statement, not a list parameter, so the heartbeat sweep's read is read hot
    (``hot_statements``)."""
    watched = (hosts.c.archived_at.is_(None), hosts.c.kind.not_in(sorted(skip_kinds)))
    read = (
        select(
            hosts.c.id, _HEARD, hosts.c.interval_s, hosts.c.agent_interval_s, _KIND.label("kind")
        )
        .select_from(hosts.outerjoin(check_states, _OF_HOST))
        .where(*watched)
        .order_by(hosts.c.customer_id, hosts.c.id)
    )
    # Hosts whose heartbeat may be due: at rest and maybe silent; steady and maybe reporting
    # again; or neither.
    maybe_due = read.where(
        case(
            (_KIND == _REST, _DEADLINE <= _NOW + _MARGIN),
            (_KIND == _STEADY, _DEADLINE > _NOW - _MARGIN),
            else_=true(),
        )
    )
    # Of the hosts whose deadline may be after now, those whose deadline may be the soonest:
    # within two margins of the soonest surely after now (or of now, when there is none).
    soonest = (
        select(func.min(_DEADLINE)).where(*watched, _DEADLINE > _NOW + _MARGIN).scalar_subquery()
    )
    maybe_next = (
        select(_HEARD, hosts.c.interval_s, hosts.c.agent_interval_s)
        .distinct()
        .where(
            *watched,
            _DEADLINE > _NOW - _MARGIN,
            func.coalesce(soonest, _NOW) + 2 * _MARGIN >= _DEADLINE,
        )
    )
    return _Reads(HotStatement(read), HotStatement(maybe_due), HotStatement(maybe_next))


def _params(key: str, failing: Failing, missed: int) -> dict[str, Any]:
    status, policy = failing
    severity = policy.severity_for(status)
    return {
        "key": key, "failing": _status_fragment(status),
        "raised_at": f'"severity": "{severity}"', "flap_changes": policy.flap_changes,
        "missed": missed,
    }  # fmt: skip


def _watched(rows: Any) -> list[Watched]:
    return [
        Watched(host, heard, own, agent, kind == _REST, kind == _STEADY)
        for host, heard, own, agent, kind in rows
    ]


def watched_hosts(
    conn: Connection, key: str, skip_kinds: Collection[str], failing: Failing
) -> list[Watched]:
    """Every host watched (not archived, not of ``skip_kinds``), in customer and host order,
    with whether its state of check ``key`` is at rest, or steady at the ``failing`` status,
    by that check's policy: one query, no state decoded."""
    return _watched(_reads(frozenset(skip_kinds)).every.rows(conn, _params(key, failing, 0)))


def hosts_to_sweep(
    conn: Connection,
    key: str,
    skip_kinds: Collection[str],
    failing: Failing,
    now: datetime,
    missed: int,
    find_next: bool = True,
) -> tuple[list[Watched], list[Heard]]:
    """Of ``watched_hosts``, those whose heartbeat may be due at ``now`` (silent after
    ``missed`` intervals): all but those surely at rest and not silent, or surely steady and
    silent; and, of every watched host, the distinct (last heard, intervals) that may make
    the next deadline after ``now`` (none read unless ``find_next``). Judged within
    ``MARGIN_S``: the caller decides exactly."""
    params = {**_params(key, failing, missed), "now_s": now.timestamp()}
    params["margin_s"] = MARGIN_S
    reads = _reads(frozenset(skip_kinds))
    maybe_due = _watched(reads.maybe_due.rows(conn, params))
    if not find_next:
        return maybe_due, []
    maybe_next = [Heard(*row) for row in reads.maybe_next.rows(conn, params)]
    return maybe_due, maybe_next
