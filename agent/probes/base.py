"""The boundary every agent probe runs through."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ProbeEntry = dict[str, Any]


def entry(status: str, metrics: dict[str, Any], error: str | None = None) -> ProbeEntry:
    """One probe's entry in a report: ``{"status", "metrics", "error"}``."""
    return {"status": status, "metrics": metrics, "error": error}


def run_probe(name: str, collect: Callable[[], ProbeEntry]) -> ProbeEntry:
    """Run one probe; any failure becomes an ``error`` entry instead of an exception."""
    try:
        return collect()
    except Exception as exc:  # the one boundary: a broken probe must not stop the others
        log.warning("probe %s failed: %s", name, exc)
        return entry("error", {}, f"{type(exc).__name__}: {exc}")
