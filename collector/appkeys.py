"""Typed keys for what the aiohttp application carries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from collector.config import CollectorConfig
from collector.database import Database
from collector.ingest import HostKeys, ReportWriter
from collector.leadership import Leadership
from collector.metrics import Metrics

CONFIG = web.AppKey("config", CollectorConfig)
DATABASE = web.AppKey("database", Database)
HOST_KEYS = web.AppKey("host_keys", HostKeys)
REPORT_WRITER = web.AppKey("report_writer", ReportWriter)
METRICS = web.AppKey("metrics", Metrics)
LEADERSHIP = web.AppKey("leadership", Leadership)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
