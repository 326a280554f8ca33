"""A host's figures as the host page shows them: latest values in a useful order, the graphs
to draw, and a PBX's trunks and endpoints from its newest report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from collector.operations.figures import latest_with_times, metric_names
from collector.store import reports as report_store

#: Graphs and figures are listed by family, in this order; a metric matches the first prefix.
ORDER = (
    "cpu_percent", "load_", "memory.", "swap.", "process_count", "filesystem:", "network:",
    "asterisk.", "trunk:", "sip.", "probe:",
)  # fmt: skip


def order_key(metric: str) -> tuple[int, str]:
    rank = next((n for n, prefix in enumerate(ORDER) if metric.startswith(prefix)), len(ORDER))
    return rank, metric


def unit(metric: str) -> str:
    if metric.endswith("percent"):
        return "%"
    if metric.endswith("_ms"):
        return "ms"
    if metric.endswith("bytes_per_s"):
        return "B/s"
    return ""


def shown(value: float, metric: str) -> str:
    """A figure as people read it: one decimal for percentages, whole bytes per second."""
    if metric.endswith("bytes_per_s"):
        return f"{value:,.0f}"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


@dataclass(frozen=True)
class Figure:
    metric: str
    value: str
    unit: str
    at: datetime


@dataclass(frozen=True)
class PbxView:
    """A PBX's registrations and endpoints as its newest report gave them."""

    registrations: list[Mapping[str, Any]]
    endpoints: list[Mapping[str, Any]]
    sampled_at: str


def host_figures(conn: Connection, host_id: str) -> dict[str, Any]:
    latest = latest_with_times(conn, host_id)
    figures = [
        Figure(metric, shown(value, metric), unit(metric), datetime.fromtimestamp(at, UTC))
        for metric, (at, value) in sorted(latest.items(), key=lambda item: order_key(item[0]))
    ]
    metrics = sorted(metric_names(conn, host_id), key=order_key)
    return {
        "figures": figures,
        "graph_metrics": [m for m in metrics if not m.startswith("probe:")],
        "probe_metrics": [m for m in metrics if m.startswith("probe:")],
        "pbx": pbx_view(report_store.latest_body(conn, host_id)),
    }


def pbx_view(body: Mapping[str, Any] | None) -> PbxView | None:
    probes = (body or {}).get("probes")
    asterisk = probes.get("asterisk") if isinstance(probes, Mapping) else None
    metrics = asterisk.get("metrics") if isinstance(asterisk, Mapping) else None
    if not isinstance(metrics, Mapping):
        return None
    registrations = _rows(metrics.get("registrations")) + _rows(metrics.get("sip_registry"))
    endpoints = _rows(metrics.get("endpoints")) + _rows(metrics.get("sip_peers"))
    return PbxView(registrations, endpoints, str((body or {}).get("sampled_at", "")))


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []
