"""The JSON API for operators and tools."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the JSON API routes."""
