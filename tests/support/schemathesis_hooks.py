"""Schemathesis hooks for the contract run (loaded through ``SCHEMATHESIS_HOOKS``).

JSON Schema cannot compare two fields, nor know today's date or the zone database: the
document states each such rule on its field as ``x-constraint``. A schema-valid request
refused with a 400 that names one of those fields is the rule working, not a failure; every
other refusal of schema-valid data still fails the run.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

from tests.support.openapi import DOCUMENT


def constrained_fields(node: Any = DOCUMENT) -> set[str]:
    """The names of every property the document gives an ``x-constraint``."""
    found: set[str] = set()
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            if isinstance(value, dict) and "x-constraint" in value:
                found.add(name)
        if "in" in node and "x-constraint" in node:  # a query or path parameter's own rule
            found.add(node["name"])
        for value in node.values():
            found |= constrained_fields(value)
    elif isinstance(node, list):
        for value in node:
            found |= constrained_fields(value)
    return found


CONSTRAINED = constrained_fields()


def _blamed_field(response: Any) -> str | None:
    try:
        field = json.loads(response.content).get("field")
    except (ValueError, AttributeError):
        return None
    return field.rsplit(".", 1)[-1] if isinstance(field, str) else None


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but a documented cross-field rule refusing schema-valid data."""
    stated = (
        failure.code == "ST202"
        and response.status_code == 400
        and _blamed_field(response) in CONSTRAINED
    )
    return not stated
