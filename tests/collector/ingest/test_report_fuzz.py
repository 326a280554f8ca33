"""The report validator on any body: a validated report or a 400 with a reason, never
another exception (a 500), whatever JSON or bytes a host holding a key sends."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from agent import protocol
from collector.ingest.handler import _parse as validate_report
from tests.support.collector import report_body

FUZZ = settings(max_examples=300, deadline=None)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


def refused_or_valid(body: bytes) -> None:
    try:
        validate_report(body)
    except web.HTTPException as exc:
        assert exc.status == 400, exc.text
        assert json.loads(exc.text or "{}")["error"]


@FUZZ
@given(st.binary(max_size=300))
def test_it_answers_any_bytes(body: bytes) -> None:
    refused_or_valid(body)


@FUZZ
@given(JSON)
def test_it_answers_any_json(document: Any) -> None:
    refused_or_valid(json.dumps(document).encode())


@FUZZ
@given(st.sampled_from(sorted(report_body())), JSON, st.sampled_from(["replace", "probes"]))
def test_it_answers_a_report_with_any_field_changed(field: str, value: Any, where: str) -> None:
    body = report_body()
    if where == "probes":
        body["probes"] = {"system": {"status": "ok", "metrics": {"x": value}}}
    else:
        body[field] = value
    refused_or_valid(protocol.encode(body))
