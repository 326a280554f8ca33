"""When the simulated clock must stop next, and which sweeps can decide anything then.

Between the scenario's own moments (events, and the reports and check runs that follow a
change) the pipeline decides something only when a deadline passes: an SLA warning or breach
(``sweep_sla``), a fault's reminder mail (the sweep's mail half), a page (``sweep_paging``
while an incident that pages waits for an engineer), a silent agent's heartbeat running out
(the heartbeat sweep, which the simulation schedules itself).

The SLA deadlines are the costly ones (each incident's clocks), so each incident's are kept
and worked out again only when its timeline grew or its earliest deadline came. That is safe
because the times kept are never later than the real ones: nothing but a recorded change makes
a target earlier (a severity rise, a step, a wait or a grant, a contract or an announcement:
each on the timeline), while an outage still going on only moves targets later. The timeline
entries newer than the last one seen name the incidents that changed; an incident's opening,
resolution, closing and contract change are entries too, so they are also the only ones that
can come into or leave the open covered incidents.

One fact moves a target earlier without an entry on the incident's timeline: a heartbeat fault
dates the agent's silence back by its missed intervals, and access lost in those minutes stops
pausing the host's incidents. So a new fault on a host of the kinds the pauses read (remote
access, heartbeat, host down: ``clock_facts``) also has its incidents worked out again; no other
fault moves a target.
(Editing a check's ``remote_access`` flag or a customer's access rule would too; the simulation
never does either.)

Only the incidents with a ``waiting_on_customer`` entry have waits on the customer to read: a
wait is started by that step alone, which records the entry. The announcements in force are
kept too, and read again when one was made or withdrawn: the newest announcement and the count
withdrawn are read with the timeline entries.

Reminders follow a fault's mail (``last_notified_at``), which is written with the mail into the
outbox under the fault (the NOC's copy at least): only the faults with mail newer than the last
look can have a reminder not found before. (Once mailed, a fault stays so, and stays resolved or
acknowledged once it is: one with no newer mail had its reminder found when it was mailed.)
Whether an incident pages and waits on an engineer changes only with its opening, first
response, engineer's acknowledgement, resolution, closing, severity or contract, all on its
timeline: it is read again for the incidents whose timeline grew.

Each deadline is given once: a stop once scheduled stays, whatever follows (a sweep there finds
nothing to do at worst), and one passed stays passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, or_, select

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.announcements import Announcement
from collector.engine.clock_facts import ClockFacts
from collector.engine.clock_memo import alerts_of
from collector.engine.incident_clock import access_rules, incident_clocks
from collector.operations.incidents import WAITING_EVENT
from collector.store import announcements as announcement_store
from collector.store import incidents as incident_store
from collector.store.hot_statements import HotStatement
from collector.store.incident_pauses import HEARTBEAT, HOST_DOWN, REMOTE_PREFIX
from collector.store.incident_view import incident_view_of
from collector.store.incidents import IncidentView
from collector.store.schema import (
    calendar_announcements,
    faults,
    incident_events,
    incidents,
    outbox,
)

#: The faults the clocks' pauses read: access lost, and a host's silence.
_PAUSING = or_(
    faults.c.check_key.startswith(REMOTE_PREFIX), faults.c.check_key.in_((HEARTBEAT, HOST_DOWN))
)
#: The newest mail, fault (of those) and announcement, how many announcements were withdrawn,
#: and the timeline entries after the last one seen (their incidents' timeline grew) with their
#: incidents, in one statement: nothing changes without one of them. One row at least: the
#: newest's, with no entry when none is new. (Entries are read by id, the table's rowid, not
#: DISTINCT incidents: with it SQLite reads the whole incident index rather than the newest.)
_NEWEST = select(
    select(func.max(outbox.c.id)).scalar_subquery().label("mail"),
    select(func.max(faults.c.id)).where(_PAUSING).scalar_subquery().label("fault"),
    select(func.max(calendar_announcements.c.id)).scalar_subquery().label("announced"),
    select(func.count())
    .where(calendar_announcements.c.withdrawn_at.is_not(None))
    .scalar_subquery()
    .label("withdrawn"),
).subquery()
#: Joined, not a subquery: SQLite would build the subquery's every row at every stop.
_VIEWS = incident_store.views()
_ENTRIES = incident_events.join(
    _VIEWS.get_final_froms()[0], incidents.c.id == incident_events.c.incident_id
)
_SINCE = select(
    _NEWEST,
    incident_events.c.id.label("entry"),
    incident_events.c.kind.label("entry_kind"),
    *_VIEWS.selected_columns,
).select_from(
    _NEWEST.outerjoin(_ENTRIES, incident_events.c.id > bindparam("last"))
)  # fmt: skip
#: Read at every stop: through the driver's cursor on SQLite (``hot_statements``).
_SINCE_READ = HotStatement(_SINCE)
#: The hosts of the faults opened since the newest one seen.
_NEW_FAULT_HOSTS = HotStatement(
    select(faults.c.host_id).where(faults.c.id > bindparam("last"), _PAUSING).distinct()
)
#: Open, mailed, unacknowledged faults with mail after the newest seen: mailed again every
#: reminder interval.
_MAILED_SINCE = HotStatement(
    select(faults.c.last_notified_at).where(
        faults.c.resolved_at.is_(None),
        faults.c.acknowledged_at.is_(None),
        faults.c.last_notified_at.is_not(None),
        faults.c.id.in_(select(outbox.c.fault_id).where(outbox.c.id > bindparam("mail"))),
    )
)


def _watched(incident: IncidentView) -> bool:
    """One of ``incident_store.open_covered``: open, unresolved, covered."""
    return incident.closed_at is None and incident.resolved_at is None and incident.covered


def _untaken(incident: IncidentView) -> bool:
    """One of ``page_store.awaiting_engineer``: open, unanswered, untaken, and it pages."""
    waiting = (
        incident.closed_at,
        incident.resolved_at,
        incident.engineer_acknowledged_at,
        incident.responded_at,
    )
    return all(at is None for at in waiting) and bool(incident.policy.get("pages_on_call"))


class Deadlines:
    """The deadlines after ``now`` at which a sweep could act with no new fact."""

    def __init__(self, config: CollectorConfig) -> None:
        self.config = config
        self._catalogue, self._rules = catalogue_for(config), access_rules(config)
        #: Per open covered incident: its SLA deadlines as worked out when its timeline last
        #: grew (or its earliest deadline last came).
        self._known: dict[int, list[datetime]] = {}
        #: The incidents that page and wait for an engineer.
        self._untaken: set[int] = set()
        #: The host of each incident in ``_known``.
        self._host_of: dict[int, str | None] = {}
        #: The newest timeline entry, mail and fault when last asked (None: never asked yet).
        self._seen: tuple[int, int, int] | None = None
        #: The announcements in force, and the newest and the count withdrawn when they were
        #: read (None: to be read when next needed).
        self._announced: list[Announcement] | None = None
        self._announcements: tuple[int, int] = (0, 0)
        #: The incidents that ever waited on the customer (None: no entry read yet).
        self._waited: set[int] | None = None
        #: The SLA deadlines still ahead when last worked out.
        self.sla_ahead: list[datetime] = []
        #: The deadlines given so far.
        self._given_sla: set[datetime] = set()
        self._given_reminders: set[datetime] = set()

    def ahead(self, conn: Connection, now: datetime) -> tuple[list[datetime], list[datetime], bool]:
        """SLA deadlines and reminder deadlines not given before, and whether paging waits on
        an engineer."""
        before = self._seen
        last_entry = before[0] if before else 0
        rows = _SINCE_READ.mappings(conn, {"last": last_entry})
        head = rows[0]
        mail, fault, announced, withdrawn = (
            head["mail"], head["fault"], head["announced"], head["withdrawn"],
        )  # fmt: skip
        # The timeline entries (none: the one row has none) with their incidents, by name.
        entries = [row for row in rows if row["entry"] is not None]
        newest = max([last_entry, *(entry["entry"] for entry in entries)])
        waited = {e["id"] for e in entries if e["entry_kind"] == WAITING_EVENT}
        self._waited = waited | (self._waited or set())
        seen = (newest, mail or 0, fault or 0)
        announcements = (announced or 0, withdrawn)
        if announcements != self._announcements:
            self._announced, self._announcements = None, announcements
        new_sla: list[datetime] = []
        new_reminders: list[datetime] = []
        if before is None or seen != before or any(at <= now for at in self.sla_ahead):
            self._seen = seen
            # The incidents whose timeline grew, as they are now: read with their entries.
            changed: dict[int, IncidentView | None] = {
                entry["id"]: incident_view_of(entry) for entry in entries
            }
            if before is not None and seen[2] != before[2]:
                for incident_id in self._on_hosts_with_new_faults(conn, before[2]):
                    changed.setdefault(incident_id, None)
            self.sla_ahead = self.sla(conn, now, changed)
            new_sla = _not_given(self.sla_ahead, self._given_sla)
            if before is None or seen[1] != before[1]:
                mailed = self.reminders(conn, before[1] if before else 0)
                new_reminders = _not_given(mailed, self._given_reminders)
        return new_sla, new_reminders, bool(self._untaken)

    def _on_hosts_with_new_faults(self, conn: Connection, last_fault: int) -> set[int]:
        hosts = {host for (host,) in _NEW_FAULT_HOSTS.rows(conn, {"last": last_fault})}
        return {incident for incident, host in self._host_of.items() if host in hosts}

    def sla(
        self, conn: Connection, now: datetime, changed: Mapping[int, IncidentView | None]
    ) -> list[datetime]:
        """Every warning and breach still ahead on open incidents' unmet targets, working out
        again those of the ``changed`` incidents (as read now; None: to be read) and of those
        whose earliest deadline passed; whether the changed ones page on the way."""
        passed = {i for i, found in self._known.items() if found and min(found) <= now}
        redo = changed.keys() | passed
        if redo:
            for incident_id in redo:
                self._known.pop(incident_id, None)
                self._host_of.pop(incident_id, None)
                self._untaken.discard(incident_id)
            fetched = [incident for incident in changed.values() if incident is not None]
            unread = redo - {incident.id for incident in fetched}
            fetched += incident_store.incidents_among(conn, unread)
            fetched.sort(key=lambda incident: incident.id)
            self._untaken.update(incident.id for incident in fetched if _untaken(incident))
            watched = [incident for incident in fetched if _watched(incident)]
            if watched:
                announced, waited = self._live(conn), self._waited
                facts = ClockFacts.read(conn, watched, now, self._rules, announced, waited)
                for incident in watched:
                    self._known[incident.id] = self._work_out(conn, incident, now, facts)
                    self._host_of[incident.id] = incident.host_id
        return [at for found in self._known.values() for at in found if at >= now]

    def _live(self, conn: Connection) -> list[Announcement]:
        if self._announced is None:
            self._announced = announcement_store.every(conn)
        return self._announced

    def _work_out(
        self, conn: Connection, incident: IncidentView, now: datetime, facts: ClockFacts
    ) -> list[datetime]:
        fraction = self.config.mail.sla_warning_fraction
        found = []
        clocks = incident_clocks(conn, incident, self._catalogue, now, self._rules, facts)
        for name, clock in clocks.items():
            if incident.met_at(name) is not None:
                continue
            times = alerts_of(
                clock.calendar, clock.starts_at, clock.due, fraction=fraction, pauses=clock.pauses
            )
            found += [at for at in times if at > now]
        return found

    def reminders(self, conn: Connection, since_mail: int = 0) -> list[datetime]:
        """Open, mailed, unacknowledged faults are mailed again every reminder interval: those
        of the faults with mail (outbox rows) after ``since_mail``."""
        every = timedelta(seconds=self.config.mail.reminder_interval_s)
        return [at + every for (at,) in _MAILED_SINCE.rows(conn, {"mail": since_mail})]


def _not_given(found: list[datetime], given: set[datetime]) -> list[datetime]:
    """The deadlines in ``found`` not in ``given``, now added to it."""
    new = [at for at in found if at not in given]
    given.update(new)
    return new
