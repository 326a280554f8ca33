"""``POST /api/v1/reports``: authenticate, validate, store once, answer.

Every refusal is a 4xx with a JSON ``reason`` (and ``field`` where one is to blame), raised
before anything is written.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import ValidationError

from agent import protocol
from collector.ingest import limits
from collector.ingest.pacing import HostPacing
from collector.ingest.report_body import ReportBody
from collector.ingest.writer import HostKeys, ReportWriter
from collector.store.reports import IncomingReport
from collector.web.access import signed
from collector.web.appkeys import METRICS
from collector.web.errors import refuse
from collector.web.json_depth import MAX_JSON_DEPTH, deeper_than

HOST_KEYS = web.AppKey("host_keys", HostKeys)
REPORT_WRITER = web.AppKey("report_writer", ReportWriter)
HOST_PACING = web.AppKey("host_pacing", HostPacing)


@signed
async def post_report(request: web.Request) -> web.Response:
    started = time.perf_counter()
    metrics = request.app[METRICS]
    try:
        response = await _accept(request)
    except web.HTTPException as exc:
        metrics.reports_rejected.labels(reason=_reason_label(exc)).inc()
        raise
    metrics.reports_accepted.inc()
    metrics.ingest_latency.observe(time.perf_counter() - started)
    return response


async def _accept(request: web.Request) -> web.Response:
    body = await _read_body(request)
    host_id = request.headers.get(protocol.HOST_HEADER, "")
    timestamp = _timestamp(request)
    keys = request.app[HOST_KEYS]
    key = await keys.get(host_id) if host_id else None
    if key is None:
        raise refuse(401, "unknown host", field=protocol.HOST_HEADER)
    signature = request.headers.get(protocol.SIGNATURE_HEADER, "")
    if not protocol.signature_matches(key, timestamp, body, signature):
        key = await keys.get(host_id, stale=True)  # rotated since the cache was loaded?
        if key is None or not protocol.signature_matches(key, timestamp, body, signature):
            raise refuse(401, "bad signature", field=protocol.SIGNATURE_HEADER)
    report, data, text = _parse(body)
    if report.host != host_id:
        raise refuse(400, "body host does not match the signing host", field="host")
    too_much = limits.excess(data["probes"])
    if too_much is not None:
        raise refuse(400, too_much[1], field=too_much[0])
    wait_s = request.app[HOST_PACING].admit(host_id, report.interval_s)
    if wait_s is not None:
        reason = (
            f"host {host_id!r} is sending far more often than its {report.interval_s:g} s interval"
        )
        raise refuse(429, reason, retry_after=math.ceil(wait_s))
    writer = request.app[REPORT_WRITER]
    if writer.depth >= writer.max_queue:
        raise refuse(429, "collector is shedding load", retry_after=5)
    new = await writer.submit(IncomingReport(host_id, report.seq, report.sampled_at, data, text))
    return _accepted(report.seq, duplicate=not new)


def _accepted(seq: int, *, duplicate: bool) -> web.Response:
    """``{"accepted": true, "seq": …, "duplicate": …}``, written out: every report is answered
    with one, and ``json.dumps`` of the same dict costs more than the rest of the answer."""
    text = f'{{"accepted": true, "seq": {seq}, "duplicate": {"true" if duplicate else "false"}}}'
    return web.Response(text=text, content_type="application/json")


async def _read_body(request: web.Request) -> bytes:
    """The whole body, however it arrives (in pieces, slowly, chunked), or a 413 as soon as it
    passes the limit: ``read(n)`` returns only what has arrived so far, so a signature checked
    after one read would be checked against a truncated body. No more than the limit and one
    byte is held here; aiohttp discards whatever the sender was still sending."""
    limit = protocol.MAX_BODY_BYTES
    if request.content_length is not None and request.content_length > limit:
        raise refuse(413, f"body over {limit} bytes")
    body = bytearray()
    try:
        while chunk := await request.content.read(limit + 1 - len(body)):
            body += chunk
            if len(body) > limit:
                raise refuse(413, f"body over {limit} bytes")
    except (ConnectionError, HttpProcessingError) as exc:
        raise refuse(400, f"body incomplete: {exc}") from None
    return bytes(body)


def _timestamp(request: web.Request) -> int:
    raw = request.headers.get(protocol.TIMESTAMP_HEADER, "")
    try:
        timestamp = int(raw)
    except ValueError:
        raise refuse(
            401, "missing or malformed timestamp", field=protocol.TIMESTAMP_HEADER
        ) from None
    if abs(time.time() - timestamp) > protocol.MAX_CLOCK_SKEW_S:
        raise refuse(
            401,
            f"timestamp more than {protocol.MAX_CLOCK_SKEW_S} s from the collector's clock",
            field=protocol.TIMESTAMP_HEADER,
        )
    return timestamp


def _parse(body: bytes) -> tuple[ReportBody, dict[str, Any], str]:
    """The validated report, the decoded body, and the body as text (stored as received)."""
    try:
        text = body.decode(json.detect_encoding(body))  # as json.loads(body) would
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise refuse(400, f"body is not JSON: {exc}") from None
    except RecursionError:  # nested past what the decoder itself can hold
        raise refuse(400, f"body nests deeper than {MAX_JSON_DEPTH} levels") from None
    if deeper_than(data):
        raise refuse(400, f"body nests deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(data, dict):
        raise refuse(400, "body must be a JSON object")
    try:
        return ReportBody.model_validate(data), data, text
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise refuse(400, f"{field}: {first['msg']}", field=field) from None


def _reason_label(exc: web.HTTPException) -> str:
    """A small, fixed set of label values: Prometheus labels must not be unbounded."""
    labels = {400: "malformed", 401: "unauthenticated", 413: "too_large", 429: "shed"}
    return labels.get(exc.status, "other")
