"""When the simulated clock must stop next, so it can jump over the quiet stretches.

Between the scenario's own moments (events, and the reports and check runs that follow a
change) the pipeline decides something only when a deadline passes: an SLA warning or breach,
a fault's reminder mail, a page, a silent agent's heartbeat. ``Deadlines`` names the next one.

The SLA part is the costly one (each incident's clocks), so it is kept between moments and
worked out again only when an incident's timeline grew or its earliest deadline came. That is
safe because the times it keeps are never later than the real ones: nothing but a recorded
change makes a target earlier (a severity rise, a step, an announcement: each on the timeline),
while an outage still going on only moves targets later.
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
from collector.store.schema import faults, incident_events


class Deadlines:
    """The next moment after ``now`` a sweep could act with no new fact, or None."""

    def __init__(self, config: CollectorConfig, tick: timedelta) -> None:
        self.config, self.tick = config, tick
        self._catalogue, self._rules = catalogue_for(config), access_rules(config)
        self._timeline = -1
        self._sla: list[datetime] = []

    def next_after(self, conn: Connection, now: datetime) -> datetime | None:
        found = [*self._sla_deadlines(conn, now), *self._reminders(conn)]
        if page_store.awaiting_engineer(conn):
            found.append(now + self.tick)  # paging decides every sweep while nobody has it
        later = [at for at in found if at > now]
        return min(later, default=None)

    def _sla_deadlines(self, conn: Connection, now: datetime) -> list[datetime]:
        timeline = conn.scalar(select(func.count()).select_from(incident_events)) or 0
        if timeline != self._timeline or not self._sla or min(self._sla) <= now:
            self._timeline, self._sla = timeline, self._work_out(conn, now)
        return self._sla

    def _work_out(self, conn: Connection, now: datetime) -> list[datetime]:
        fraction = self.config.mail.sla_warning_fraction
        found = []
        for incident in incident_store.open_covered(conn):
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

    def _reminders(self, conn: Connection) -> list[datetime]:
        """Open, mailed, unacknowledged faults are mailed again every reminder interval."""
        every = timedelta(seconds=self.config.mail.reminder_interval_s)
        query = select(faults.c.last_notified_at).where(
            faults.c.resolved_at.is_(None),
            faults.c.acknowledged_at.is_(None),
            faults.c.last_notified_at.is_not(None),
        )
        return [at + every for at in conn.scalars(query)]
