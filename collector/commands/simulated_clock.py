"""When the simulated clock must stop next, and which sweeps can decide anything then.

Between the scenario's own moments (events, and the reports and check runs that follow a
change) the pipeline decides something only when a deadline passes: an SLA warning or breach
(``sweep_sla``), a fault's reminder mail (the sweep's mail half), a page (``sweep_paging``
while an incident that pages waits for an engineer), a silent agent's heartbeat running out
(the heartbeat sweep, which the simulation schedules itself).

The SLA deadlines are the costly ones (each incident's clocks), so each incident's are kept
and worked out again only when its timeline grew or its earliest deadline came. That is safe
because the times kept are never later than the real ones: nothing but a recorded change makes
a target earlier (a severity rise, a step, an announcement: each on the timeline), while an
outage still going on only moves targets later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.sla import sla_warnings
from collector.engine.incident_clock import access_rules, incident_clocks
from collector.store import incidents as incident_store
from collector.store import pages as page_store
from collector.store.incidents import IncidentView
from collector.store.schema import faults, incident_events, outbox


class Deadlines:
    """The deadlines after ``now`` at which a sweep could act with no new fact."""

    def __init__(self, config: CollectorConfig) -> None:
        self.config = config
        self._catalogue, self._rules = catalogue_for(config), access_rules(config)
        #: Per open covered incident: its timeline's length, and its SLA deadlines from then.
        self._known: dict[int, tuple[int, list[datetime]]] = {}
        #: The newest timeline entry and mail when last asked, and the answers then: nothing
        #: about incidents or mail changes without one of those.
        self._seen: tuple[int, int] | None = None
        self._answers: tuple[list[datetime], list[datetime], bool] = ([], [], False)

    def ahead(self, conn: Connection, now: datetime) -> tuple[list[datetime], list[datetime], bool]:
        """SLA deadlines, reminder deadlines, and whether paging waits on an engineer."""
        seen = (
            conn.scalar(select(func.max(incident_events.c.id))) or 0,
            conn.scalar(select(func.max(outbox.c.id))) or 0,
        )
        if seen != self._seen or any(at <= now for at in self._answers[0]):
            self._seen = seen
            self._answers = (self.sla(conn, now), self.reminders(conn), self.paging(conn))
        return self._answers

    def sla(self, conn: Connection, now: datetime) -> list[datetime]:
        """Every warning and breach still ahead on open incidents' unmet targets."""
        watched = incident_store.open_covered(conn)
        query = (
            select(incident_events.c.incident_id, func.count())
            .where(incident_events.c.incident_id.in_([i.id for i in watched]))
            .group_by(incident_events.c.incident_id)
        )
        lengths: dict[int, int] = {row[0]: row[1] for row in conn.execute(query)}
        known, found = {}, []
        for incident in watched:
            length = lengths.get(incident.id, 0)
            kept = self._known.get(incident.id)
            if kept is None or kept[0] != length or min(kept[1], default=now) < now:
                kept = (length, self._work_out(conn, incident, now))
            known[incident.id] = kept
            found += kept[1]
        self._known = known
        return [at for at in found if at >= now]

    def _work_out(self, conn: Connection, incident: IncidentView, now: datetime) -> list[datetime]:
        fraction = self.config.mail.sla_warning_fraction
        found = []
        clocks = incident_clocks(conn, incident, self._catalogue, now, self._rules)
        for name, clock in clocks.items():
            if incident.met_at(name) is not None:
                continue
            alerts = sla_warnings(
                clock.calendar, clock.starts_at, clock.due, now,
                fraction=fraction, pauses=clock.pauses,
            )  # fmt: skip
            found += [at for at in (alerts.warn_at, alerts.breach_at) if at > now]
        return found

    def reminders(self, conn: Connection) -> list[datetime]:
        """Open, mailed, unacknowledged faults are mailed again every reminder interval."""
        every = timedelta(seconds=self.config.mail.reminder_interval_s)
        query = select(faults.c.last_notified_at).where(
            faults.c.resolved_at.is_(None),
            faults.c.acknowledged_at.is_(None),
            faults.c.last_notified_at.is_not(None),
        )
        return [at + every for at in conn.scalars(query)]

    @staticmethod
    def paging(conn: Connection) -> bool:
        """Whether an incident that pages waits for an engineer: paging decides every sweep."""
        return bool(page_store.awaiting_engineer(conn))
