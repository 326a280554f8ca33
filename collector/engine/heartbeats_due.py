"""Which hosts the heartbeat sweep must evaluate, and when the next one falls silent.

A heartbeat that would change nothing a decision reads is neither decoded nor written, which
keeps a sweep of a quiet fleet to a read: an agent that reports, whose heartbeat is at rest
(an ok changes nothing: ``watches.at_rest``), and an agent long silent, whose heartbeat's
fault is raised and steady (another critical changes nothing: ``watches.steady_failing``).
The read itself names only the hosts that may be due, and the deadlines that may be the next
(``heartbeat_watch.hosts_to_sweep``); this decides them by the rules' own arithmetic.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from collector.domain import rules
from collector.domain.policy import CheckPolicy, Status
from collector.store import inventory
from collector.store.heartbeat_watch import Heard, Watched, hosts_to_sweep
from collector.store.host_lookup import hosts_by_id
from collector.store.inventory import Host


def heartbeats_due(
    conn: Connection, now: datetime, missed: int, policy: CheckPolicy, find_next: bool = True
) -> tuple[list[Host], datetime | None]:
    """The hosts whose heartbeat the sweep must evaluate at ``now``, in its order (customer,
    then host), and the next moment one of all the watched hosts would fall silent after
    ``missed`` intervals (None: none will, or not ``find_next``). ``policy`` is the
    heartbeat's."""
    failing = (Status.CRITICAL, policy)
    maybe_due, maybe_next = hosts_to_sweep(
        conn, rules.HEARTBEAT, rules.AGENTLESS_KINDS, failing, now, missed, find_next
    )
    due = [watched.host_id for watched in maybe_due if _is_due(watched, now, missed)]
    deadlines = (_deadline(heard, missed) for heard in maybe_next)
    next_silence = min((at for at in deadlines if at > now), default=None)
    if not due:
        return [], next_silence
    hosts = hosts_by_id(conn, due)
    return [hosts[host_id] for host_id in due if host_id in hosts], next_silence


def _interval(heard: Heard | Watched) -> float:
    return inventory.heartbeat_interval(heard.interval_s, heard.agent_interval_s)


def _deadline(heard: Heard, missed: int) -> datetime:
    return rules.heartbeat_deadline(heard.last_heard, _interval(heard), missed)


def _is_due(watched: Watched, now: datetime, missed: int) -> bool:
    """Whether the heartbeat can change: a silent one unless steady, a reporting one unless
    at rest."""
    silent = rules.heartbeat_silent(watched.last_heard, _interval(watched), now, missed)
    return not (watched.steady_failing if silent else watched.at_rest)
