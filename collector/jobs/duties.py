"""The leader's duties: every recurring job, run by one collector per database.

They are started afresh each time this collector becomes leader and stopped when it stops
being one (``collector.jobs.leadership``), so a collector that loses and later regains the lead
runs fresh schedules rather than restarting stopped ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from collector.config.settings import CollectorConfig
from collector.engine.monitor import Monitor
from collector.jobs.mail_sender import OutboxSender
from collector.jobs.probe_scheduler import ProbeScheduler
from collector.jobs.retention import Retention
from collector.jobs.schedules import Schedules
from collector.jobs.sla_sweep import sla_job
from collector.jobs.snmp_duty import SnmpDuty
from collector.jobs.vendor_network import vendor_network_job
from collector.jobs.webhook_pages import paging_job
from collector.runtime.metrics import Metrics
from collector.store.database import Database


class Duties:
    def __init__(
        self,
        db: Database,
        config: CollectorConfig,
        clock: Callable[[], datetime],
        metrics: Metrics,
        monitor: Monitor,
        sender: OutboxSender,
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        self._metrics = metrics
        self._monitor = monitor
        self._sender = sender
        self._running: tuple[Schedules, ProbeScheduler, SnmpDuty] | None = None
        #: The SNMP duty while leading (tests drive it).
        self.snmp: SnmpDuty | None = None

    @property
    def running(self) -> bool:
        return self._running is not None

    def start(self) -> None:
        if self._running is not None:
            return
        db, config, clock = self._db, self._config, self._clock
        schedules = Schedules(runs=self._metrics.scheduled_runs)
        probes = ProbeScheduler(db, config, clock, self._metrics)
        probes.install(schedules)
        snmp = SnmpDuty(db, config, clock, self._metrics)
        snmp.install(schedules)
        sweep_s = config.monitoring.sweep_interval_s
        monitor = self._monitor
        schedules.every_or_when(sweep_s, monitor.sweep_due, monitor.sweep, "heartbeat")
        sender = self._sender
        schedules.every_or_when(
            config.mail.send_interval_s, sender.mail_queued, sender.deliver_due, "outbox"
        )
        sender.wake()  # mail may have waited for a leader: look as soon as this one leads
        schedules.every(sweep_s, sla_job(db, config, clock), "sla")
        schedules.every(sweep_s, vendor_network_job(db, config, clock), "vendor-network")
        schedules.every(config.oncall.sweep_interval_s, paging_job(db, config, clock), "paging")
        retention = Retention(db, config.history, clock)
        schedules.every(config.history.prune_interval_s, retention.prune, "retention")
        schedules.start()
        self._running = (schedules, probes, snmp)
        self.snmp = snmp

    async def stop(self) -> None:
        """Schedule nothing more at once, then let the runs under way finish."""
        running, self._running = self._running, None
        self.snmp = None
        if running is not None:
            schedules, probes, snmp = running
            await schedules.shutdown()
            await probes.stop()
            await snmp.stop()
