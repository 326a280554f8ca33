"""Typed keys for what the aiohttp application carries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from collector.config.settings import CollectorConfig
from collector.ingest.writer import HostKeys, ReportWriter
from collector.jobs.leadership import Leadership
from collector.runtime.metrics import Metrics
from collector.store.database import Database

CONFIG = web.AppKey("config", CollectorConfig)
DATABASE = web.AppKey("database", Database)
HOST_KEYS = web.AppKey("host_keys", HostKeys)
REPORT_WRITER = web.AppKey("report_writer", ReportWriter)
METRICS = web.AppKey("metrics", Metrics)
LEADERSHIP = web.AppKey("leadership", Leadership)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
