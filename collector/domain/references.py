"""The one reference a customer sees for an outage: its incident's, e.g. ``INC-2026-0042``.

A fault and its incident are one outage to the customer, so every page and every mail about
either quotes the incident's reference: the year it opened and its number, four digits at least.
"""

from __future__ import annotations

from datetime import datetime


def incident_reference(incident_id: int, opened_at: datetime) -> str:
    return f"INC-{opened_at.year}-{incident_id:04d}"
