"""Typed keys for what every part of the aiohttp application reads: configuration, database,
metrics and clock. Parts that own something the app carries define its key themselves
(``collector.ingest.writer``'s host keys and report writer, ``collector.jobs.leadership``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from collector.config.settings import CollectorConfig
from collector.runtime.metrics import Metrics
from collector.security.passwords import HashingPool
from collector.store.database import Database

CONFIG = web.AppKey("config", CollectorConfig)
DATABASE = web.AppKey("database", Database)
METRICS = web.AppKey("metrics", Metrics)
HASHING = web.AppKey("hashing", HashingPool)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
