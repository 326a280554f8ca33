"""``GET /api/v1/export/prometheus``: every host's latest figures in the Prometheus text format,
for a vendor who graphs in Prometheus and Grafana already.

Separate from ``/metrics`` (the collector's own health, open to the scraper) because it says
things about customers: it takes an API token like the rest of the JSON API. Labels are bounded
by the inventory: ``customer``, ``host`` and ``metric`` (the README's metric names), nothing an
agent can invent beyond the names of its own disks, interfaces and trunks.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from collector.store import series as series_store
from collector.store.operators import Operator
from collector.store.series import LatestFigure
from collector.web.appkeys import CLOCK, DATABASE

#: A figure not sampled for this long is left out, so a silent host's last values do not
#: read as current (Prometheus marks the series stale instead).
FRESH_FOR = timedelta(minutes=15)
HEADER = (
    "# HELP faultdesk_host_figure A host's newest figure, by metric name (see the README).\n"
    "# TYPE faultdesk_host_figure gauge\n"
)


def _label(value: str) -> str:
    """A label value escaped as the text format requires."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(figures: list[LatestFigure]) -> str:
    lines = [
        f'faultdesk_host_figure{{customer="{_label(f.customer_id)}",host="{_label(f.host_id)}",'
        f'metric="{_label(f.metric)}"}} {f.value!r}\n'
        for f in figures
    ]
    return HEADER + "".join(lines)


async def get_prometheus_export(request: web.Request, _operator: Operator) -> web.Response:
    since = int((request.app[CLOCK]() - FRESH_FOR).timestamp())
    figures = await request.app[DATABASE].read(series_store.latest_everywhere, since)
    return web.Response(
        text=exposition(figures), content_type="text/plain", headers={"Cache-Control": "no-store"}
    )
