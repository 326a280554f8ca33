"""The collector's aiohttp application: wiring only, the work lives in the modules it names."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from aiohttp import web

from collector.api import health, resources
from collector.config.inventory_file import load_inventory
from collector.config.settings import CollectorConfig
from collector.engine.monitor import Monitor
from collector.ingest import handler as ingest
from collector.ingest.handler import HOST_KEYS, HOST_PACING, REPORT_WRITER
from collector.ingest.pacing import HostPacing
from collector.ingest.writer import HostKeys, ReportWriter
from collector.jobs.duties import Duties
from collector.jobs.leadership import LEADERSHIP, elect
from collector.jobs.mail_sender import OutboxSender, Transport
from collector.notify import outbox
from collector.notify.smtp import SmtpTransport
from collector.runtime.metrics import Metrics
from collector.security.passwords import HashingPool
from collector.snmp.service import TrapService
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.web.appkeys import CLOCK, CONFIG, DATABASE, HASHING, METRICS
from collector.web.audit_trail import audit_trail
from collector.web.connections import guard_requests
from collector.web.errors import json_errors
from dashboard import routes as dashboard_routes

log = logging.getLogger(__name__)

MONITOR = web.AppKey("monitor", Monitor)
SENDER = web.AppKey("sender", OutboxSender)
DUTIES = web.AppKey("duties", Duties)
TRAPS = web.AppKey("traps", TrapService)


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(
    config: CollectorConfig,
    *,
    clock: Callable[[], datetime] = utcnow,
    transport: Transport | None = None,
    run_schedules: bool = True,
) -> web.Application:
    """Build the application; the database is migrated when it starts.

    Every collector serves ingest, the API and the dashboard; with ``run_schedules`` it also
    stands for election, and runs the schedules while it is the leader
    (``collector.jobs.leadership``).
    """
    app = web.Application(
        client_max_size=1024 * 1024, middlewares=[guard_requests, json_errors, audit_trail]
    )
    db = Database(make_engine(config.database.url))
    metrics = Metrics()
    monitor = Monitor(db, config, clock)
    app[CONFIG] = config
    app[CLOCK] = clock
    app[DATABASE] = db
    app[METRICS] = metrics
    app[HASHING] = HashingPool(max_waiting=config.http.password_checks_at_once)
    app[HOST_KEYS] = HostKeys(db)
    app[HOST_PACING] = HostPacing()
    app[REPORT_WRITER] = ReportWriter(db, clock, on_committed=monitor.wake)
    app[MONITOR] = monitor
    app[SENDER] = OutboxSender(db, transport or SmtpTransport(config.smtp), config, metrics, clock)
    db.on_commit(outbox.QUEUED, app[SENDER].wake)
    duties = Duties(db, config, clock, metrics, monitor, app[SENDER])
    app[DUTIES] = duties
    if config.snmp.listen_address is not None:
        app[TRAPS] = TrapService(db, config.snmp.listen_address, metrics, clock)
    app[LEADERSHIP] = elect(db.engine, config.database.leader_retry_s, duties.start, duties.stop)
    _add_routes(app)
    app.cleanup_ctx.append(_lifecycle(run_schedules))
    return app


def _add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/reports", ingest.post_report)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", health.metrics)
    app.router.add_get("/api/v1/openapi.json", health.openapi)
    resources.setup(app)
    dashboard_routes.setup(app)


def _lifecycle(
    run_schedules: bool,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        config, db = app[CONFIG], app[DATABASE]
        migrate(db.engine)
        if config.inventory_file is not None:
            default_interval_s = config.probes.default_interval_s
            await db.write(
                load_inventory,
                config.inventory_file,
                app[CLOCK](),
                default_interval_s=default_interval_s,
            )
        app[REPORT_WRITER].start()
        app[MONITOR].start()
        traps = app.get(TRAPS)
        if traps is not None:  # every collector receives; the leader evaluates (SnmpDuty)
            await traps.start()
        if run_schedules:
            await app[LEADERSHIP].start()
        log.info("collector ready on %s", config.http.public_url)
        # The start-up heap (modules, SQLAlchemy, pydantic) lives as long as the app: keeping
        # it out of the garbage collector's full passes takes ~10% off the cost of a report.
        gc.freeze()
        yield
        gc.unfreeze()
        await app[LEADERSHIP].stop()
        if traps is not None:
            await traps.stop()
        await app[MONITOR].stop()
        await app[REPORT_WRITER].stop()
        db.close()
        app[HASHING].close()

    return lifecycle
