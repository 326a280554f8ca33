"""Dashboard routes (operator UI and customer acknowledgement pages)."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the dashboard's routes to the collector application."""
