"""What the clocks of several incidents read at one moment, each fact read once for them all.

The SLA sweep works out every open incident's clocks each minute. The facts they share (the
announcements in force, the remote-access faults, the agents' silences) and the ones of each
incident (its waits on the customer) are read with one statement each, rather than once per
incident. Each incident still sees exactly what statements of its own would have returned: the
rows read cover every incident's window, and each incident keeps those inside its own.

Pauses run until the incident was resolved or closed, or until ``now`` while they are still
going (``pauses_until``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Connection

from collector.domain import access
from collector.domain.access import AccessRules
from collector.domain.announcements import Announcement, tier_with_announcements
from collector.domain.calendar import Pause
from collector.domain.tiers import Tier
from collector.store import announcements as announcement_store
from collector.store import incident_pauses
from collector.store.incident_pauses import RemoteFault, Silence
from collector.store.incident_view import IncidentView

WAITING_WORDS = "waiting on the customer"


def pauses_until(incident: IncidentView, now: datetime) -> datetime:
    """Pauses stop counting when the incident is resolved or closed, else at ``now``."""
    ends = [t for t in (incident.resolved_at, incident.closed_at) if t is not None]
    return min([now, *ends])


def _pauses_access(incident: IncidentView) -> bool:
    """Whether lost access can pause it: not an incident about such an outage itself."""
    return incident.host_id is not None and not access.is_outage_key(incident.check_key)


class ClockFacts:
    """The stored facts the clocks of the incidents read at ``now`` depend on (``read``)."""

    def __init__(self, now: datetime, rules: AccessRules, incident_ids: set[int]) -> None:
        self.now, self.rules = now, rules
        self._incidents = incident_ids
        #: Those whose waits on the customer are read: the others never waited.
        self._may_wait = incident_ids
        self.announced: list[Announcement] = []
        self._waits: dict[int, list[tuple[datetime, datetime | None]]] = {}
        #: Remote faults of the incidents' hosts, by host; of every host, once any is lost.
        self._own: dict[str | None, list[RemoteFault]] = {}
        self._everyone: list[RemoteFault] = []
        self._silences: dict[str, list[Silence]] = {}
        #: Tiers with the announcements applied, by the ids of the tier and of the announcements
        #: in force (all kept alive here).
        self._announced_tiers: dict[tuple[int, ...], tuple[Tier, Tier]] = {}

    @classmethod
    def read(
        cls,
        conn: Connection,
        incidents: Sequence[IncidentView],
        now: datetime,
        rules: AccessRules,
        announced: list[Announcement] | None = None,
        waited: Collection[int] | None = None,
    ) -> ClockFacts:
        """``announced``: every announcement, withdrawn ones too (``announcements.every``),
        when the caller knows them already;
        ``waited``: the incidents that ever waited on the customer, when the caller knows
        (the others' waits are not read: they have none)."""
        facts = cls(now, rules, {incident.id for incident in incidents})
        if waited is not None:
            facts._may_wait = facts._incidents & set(waited)
        facts.announced = announcement_store.every(conn) if announced is None else announced
        facts.read_waits(conn)
        watched = [incident for incident in incidents if _pauses_access(incident)]
        if watched:
            facts._read_losses(conn, watched)
        return facts

    def read_waits(self, conn: Connection) -> None:
        """The incidents' waits on the customer, read (again: a step started or ended one)."""
        self._waits = incident_pauses.waits_of(conn, self._may_wait)

    def waiting(self, incident_id: int) -> bool:
        """Whether the incident was waiting on the customer when the facts were read."""
        return any(end is None for _, end in self._waits.get(incident_id, []))

    def _read_losses(self, conn: Connection, watched: list[IncidentView]) -> None:
        """The hosts' own remote faults; when any incident lost access, every host's (the
        vendor's network) and the silences of the hosts that lost it."""
        since, until = _window(watched, self.now)
        hosts = {incident.host_id for incident in watched if incident.host_id is not None}
        for fault in incident_pauses.remote_faults(conn, since=since, until=until, host_ids=hosts):
            self._own.setdefault(fault.host_id, []).append(fault)
        losing = [incident for incident in watched if self._own_losses(incident)]
        if not losing:
            return
        since, until = _window(losing, self.now)
        self._everyone = incident_pauses.remote_faults(conn, since=since, until=until)
        self._silences = incident_pauses.silences_of(
            conn, {incident.host_id for incident in losing if incident.host_id is not None},
            until=until, missed_intervals=self.rules.missed_intervals,
        )  # fmt: skip

    def pauses(self, incident: IncidentView) -> list[Pause]:
        """Access the customer withheld (``collector.domain.access``), and waits on them."""
        if incident.id not in self._incidents:
            raise LookupError(f"incident #{incident.id}: its clock facts were not read")
        until = pauses_until(incident, self.now)
        pauses = self._access_lost(incident, until)
        if access.access_is_on_request(incident.access_rule, None):
            pauses += access.grant_pause(incident.opened_at, incident.access_granted_at, until)
        for start, end in self._waits.get(incident.id, []):
            stop = min(end or until, until)
            if stop > start:
                pauses.append(Pause(start, stop, WAITING_WORDS))
        return pauses

    def in_force(self, at: datetime | None = None) -> list[Announcement]:
        """The announcements in force at ``at`` (None: ``now``)."""
        moment = self.now if at is None else at
        return [a for a in self.announced if a.in_force_at(moment)]

    def announced_tier(self, tier: Tier, at: datetime | None = None) -> Tier:
        """The tier with the announcements in force at ``at`` (None: ``now``) applied to its
        calendars."""
        if not self.announced:
            return tier
        in_force = self.in_force(at)
        key = (id(tier), *map(id, in_force))
        kept = self._announced_tiers.get(key)
        if kept is None:
            kept = (tier, tier_with_announcements(tier, in_force))
            self._announced_tiers[key] = kept
        return kept[1]

    def _own_losses(self, incident: IncidentView) -> list[access.AccessLoss]:
        """The incident's host's access losses in its window, but for its own fault."""
        if not _pauses_access(incident):
            return []
        since, until = incident.opened_at, pauses_until(incident, self.now)
        return [
            fault.loss
            for fault in self._own.get(incident.host_id, [])
            if fault.access and fault.id != incident.fault_id and fault.overlaps(since, until)
        ]

    def _access_lost(self, incident: IncidentView, until: datetime) -> list[Pause]:
        """The host's access checks failing while its agent reported and the vendor's network
        was up; nothing for an incident that is itself about such an outage."""
        losses = self._own_losses(incident)
        if not losses or incident.host_id is None:
            return []
        silent = [
            s.span(until) for s in self._silences.get(incident.host_id, []) if s.opened_at <= until
        ]
        vendor_down = self._vendor_down(incident.opened_at, until)
        return access.access_pauses(
            losses, host_silent=silent, vendor_down=vendor_down, until=until
        )

    def _vendor_down(self, since: datetime, until: datetime) -> list[access.Span]:
        """When the vendor's own network was down between ``since`` and ``until``."""
        inside = [fault for fault in self._everyone if fault.overlaps(since, until)]
        everyone = [fault.loss for fault in inside if fault.access]
        canaries = [
            fault.loss.span(until) for fault in inside if fault.host_id in self.rules.canary_hosts
        ]
        return access.vendor_network_spans(
            everyone, canaries, until, self.rules.vendor_network_customers
        )


def _window(incidents: Sequence[IncidentView], now: datetime) -> tuple[datetime, datetime]:
    """From the earliest opening to the latest end of the incidents' pauses."""
    since = min(incident.opened_at for incident in incidents)
    return since, max(pauses_until(incident, now) for incident in incidents)
