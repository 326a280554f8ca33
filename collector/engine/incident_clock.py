"""An incident's SLA clocks from its stored facts: terms, pauses, lifecycle moments.

Reads the store, then hands plain facts to ``collector.domain.sla``. Pauses run until the
incident was resolved or closed, or until ``now`` while they are still going: the due time is
then the one that holds if access came back (or the customer answered) now, so the SLA sweep
moves it on as a pause goes on and never reports a breach during one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection

from collector.domain.calendar import Pause
from collector.domain.sla import Explanation, TargetClock, explain_clock, target_clocks
from collector.domain.tiers import Tier
from collector.engine.incident_terms import tier_from_policy
from collector.store import incident_pauses
from collector.store.incident_pauses import HOST_DOWN, Outage
from collector.store.incidents import IncidentView

#: What each kind of remote check proves reachable, for "paused 40 min while SSH was
#: unreachable".
_ACCESS_WORDS = {"remote.ssh": "SSH", "remote.http": "HTTP", "remote.sip": "SIP"}
WAITING_WORDS = "waiting on the customer"


def access_words(check_key: str) -> str:
    """``remote.ssh:backup`` → ``SSH``; ``host.down`` → ``the host``."""
    if check_key == HOST_DOWN:
        return "the host"
    prefix = check_key.partition(":")[0]
    return _ACCESS_WORDS.get(prefix, prefix.removeprefix("remote.").upper() or "remote access")


def outage_pauses(outages: Sequence[Outage], until: datetime) -> list[Pause]:
    """Overlapping outages become one pause naming everything that was unreachable in it."""
    merged: list[tuple[datetime, datetime, list[str]]] = []
    for outage in sorted(outages, key=lambda o: o.start):
        start, end = outage.start, min(outage.end or until, until)
        if end <= start:
            continue
        words = access_words(outage.check_key)
        if merged and start <= merged[-1][1]:
            first, last, names = merged[-1]
            merged[-1] = (first, max(last, end), names if words in names else [*names, words])
        else:
            merged.append((start, end, [words]))
    return [Pause(start, end, _unreachable(names)) for start, end, names in merged]


def _unreachable(names: list[str]) -> str:
    verb = "was" if len(names) == 1 else "were"
    return f"{' and '.join(names)} {verb} unreachable"


def pauses_until(incident: IncidentView, now: datetime) -> datetime:
    """Pauses stop counting when the incident is resolved or closed, else at ``now``."""
    ends = [t for t in (incident.resolved_at, incident.closed_at) if t is not None]
    return min([now, *ends])


def incident_pauses_for(conn: Connection, incident: IncidentView, now: datetime) -> list[Pause]:
    """Remote access lost on the incident's host, and waits on the customer."""
    until = pauses_until(incident, now)
    pauses: list[Pause] = []
    if incident.host_id is not None:
        outages = incident_pauses.remote_access_outages(
            conn, incident.host_id, until=until, exclude_fault_id=incident.fault_id
        )
        pauses.extend(outage_pauses(outages, until))
    for start, end in incident_pauses.waits(conn, incident.id):
        stop = min(end or until, until)
        if stop > start:
            pauses.append(Pause(start, stop, WAITING_WORDS))
    return pauses


def incident_clocks(
    conn: Connection, incident: IncidentView, catalogue: Mapping[str, Tier], now: datetime
) -> dict[str, TargetClock]:
    """Every started clock of the incident's terms; empty when it is not covered."""
    if not incident.covered:
        return {}
    tier = tier_from_policy(incident.policy, incident.severity, catalogue, incident.tier)
    if tier is None or not tier.covered:
        return {}
    return target_clocks(
        tier,
        incident.severity,
        incident.opened_at,
        pauses=incident_pauses_for(conn, incident, now),
        onsite_requested_at=incident.onsite_requested_at,
    )


def explain_incident(
    conn: Connection, incident: IncidentView, catalogue: Mapping[str, Tier], now: datetime
) -> dict[str, Explanation]:
    """Why each of the incident's targets is due when it is."""
    clocks = incident_clocks(conn, incident, catalogue, now)
    return {name: explain_clock(clock) for name, clock in clocks.items()}
