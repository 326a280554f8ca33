"""The numeric figures of an agent report, by metric name, and how they roll up.

Reports are decoded JSON: objects are exactly ``dict``, arrays ``list``, numbers ``int`` or
``float``, and the checks below test exact types (cheaper than ``isinstance`` against ABCs).

Metric names follow the agent's fields (``agent/probes/system.py``, ``asterisk/``, ``sip.py``):
a plain name for a top-level number (``cpu_percent``, ``load_1m``), ``group.field`` for a
nested one (``memory.used_percent``), and ``kind:name.field`` for one of several things of a
kind, named by the host (``filesystem:/var.used_percent``, ``network:eth0.received_bytes_per_s``,
``trunk:pstn.registered``). ``METRICS`` lists them for the README and the OpenAPI document.

Network counters are cumulative since boot: their rates need the previous report's counters
(``Counters``), kept by the caller between reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: Every metric name, with what it measures (``{…}`` stands for a name the host gives).
METRICS: dict[str, str] = {
    "cpu_percent": "CPU busy, % of all cores",
    "load_1m": "load average over 1 minute (also load_5m, load_15m)",
    "memory.used_percent": "memory used, %",
    "swap.used_percent": "swap used, %",
    "process_count": "processes running",
    "filesystem:{mount}.used_percent": "space used on the filesystem mounted at {mount}, %",
    "filesystem:{mount}.inodes_used_percent": "inodes used on that filesystem, %",
    "network:{nic}.received_bytes_per_s": "bytes received per second on {nic} (and sent_)",
    "asterisk.registered_trunks": "trunk registrations in state Registered",
    "asterisk.reachable_endpoints": "PJSIP/chan_sip endpoints not Unavailable",
    "asterisk.active_channels": "active channels",
    "asterisk.current_calls": "calls in progress",
    "trunk:{name}.registered": "1 while the trunk registration is Registered, else 0",
    "sip.rtt_ms": "the agent's SIP OPTIONS round trip to its PBX, ms",
    "probe:{check}.latency_ms": "the collector's remote check ({kind} or {kind}.{name}), ms",
}

_SYSTEM_TOP = ("cpu_percent", "load_1m", "load_5m", "load_15m", "process_count")
_SYSTEM_NESTED = (("memory", "used_percent"), ("swap", "used_percent"))
_FILESYSTEM = ("used_percent", "inodes_used_percent")
_NETWORK = (("bytes_received", "received_bytes_per_s"), ("bytes_sent", "sent_bytes_per_s"))
_UNREACHABLE = frozenset({"Unavailable", "Invalid", "Unknown", None})


_INFINITY = float("inf")


def number(value: Any) -> float | None:
    """A finite number, or None (booleans and text are not figures)."""
    # Exact types, not isinstance: this runs for every field of every report, and JSON gives
    # exactly int or float (a bool is an int subclass, and is not a figure).
    kind = type(value)
    if kind is float:
        return value if value == value and value not in (_INFINITY, -_INFINITY) else None
    return float(value) if kind is int else None


def figures_from_report(probes: Mapping[str, Any]) -> dict[str, float]:
    """The report's figures by metric name; what is missing or not a number is left out."""
    found: dict[str, float] = {}
    for name, value in _pairs(probes):
        figure = number(value)
        if figure is not None:
            found[name] = figure
    return found


def _metrics(probes: Mapping[str, Any], probe: str) -> Mapping[str, Any]:
    entry = probes.get(probe)
    metrics = entry.get("metrics") if type(entry) is dict else None
    return metrics if type(metrics) is dict else {}


def _pairs(probes: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    system = _metrics(probes, "system")
    for key in _SYSTEM_TOP:
        yield key, system.get(key)
    for group, key in _SYSTEM_NESTED:
        yield f"{group}.{key}", _mapping(system.get(group)).get(key)
    for mount, info in _named(system.get("filesystems"), "mountpoint"):
        for key in _FILESYSTEM:
            yield f"filesystem:{mount}.{key}", info.get(key)
    yield from _asterisk(_metrics(probes, "asterisk"))
    yield "sip.rtt_ms", _metrics(probes, "sip").get("rtt_ms")


def _asterisk(m: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    if not m:
        return
    registrations = _rows(m.get("registrations")) + _rows(m.get("sip_registry"))
    endpoints = _rows(m.get("endpoints"))
    if m.get("registrations") is not None or m.get("sip_registry") is not None:
        registered = [r for r in registrations if r.get("status") == "Registered"]
        yield "asterisk.registered_trunks", len(registered)
    if m.get("endpoints") is not None:
        reachable = [e for e in endpoints if e.get("device_state") not in _UNREACHABLE]
        yield "asterisk.reachable_endpoints", len(reachable)
    yield "asterisk.active_channels", _mapping(m.get("channels")).get("count")
    yield "asterisk.current_calls", m.get("current_calls")
    for reg in registrations:
        if isinstance(reg.get("name"), str):
            yield f"trunk:{reg['name']}.registered", int(reg.get("status") == "Registered")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if type(value) is dict else {}


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if type(row) is dict] if type(value) is list else []


def _named(value: Any, name_key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Things keyed by name (``{"/": {...}}``) or listed with their name (``[{"mountpoint"…}]``)."""
    if type(value) is dict:
        yield from ((str(k), v) for k, v in value.items() if type(v) is dict)
    else:
        for row in _rows(value):
            if isinstance(row.get(name_key), str):
                yield row[name_key], row


@dataclass(frozen=True)
class Counters:
    """A host's cumulative counters at one moment (Unix seconds), by rate metric name."""

    at: float
    values: Mapping[str, float]


def counters_from_report(probes: Mapping[str, Any], at: float) -> Counters:
    values: dict[str, float] = {}
    for nic, io in _named(_metrics(probes, "system").get("network"), "name"):
        for counter, rate in _NETWORK:
            value = number(io.get(counter))
            if value is not None:
                values[f"network:{nic}.{rate}"] = value
    return Counters(at, values)


def rates(before: Counters | None, after: Counters) -> dict[str, float]:
    """Per-second rates between two readings of the counters; none across a reboot (a
    counter that went down) or when time did not move forward."""
    if before is None or after.at <= before.at:
        return {}
    elapsed = after.at - before.at
    found = {}
    for name, value in after.values.items():
        earlier = before.values.get(name)
        if earlier is not None and value >= earlier:
            found[name] = (value - earlier) / elapsed
    return found


@dataclass(frozen=True)
class Rollup:
    """The samples of one bucket: their extremes, sum and count (the average is sum/count).

    Kept as a sum rather than an average so buckets merge exactly, whatever order samples
    arrive in (a report replayed from an agent's spool lands in an old bucket)."""

    low: float
    high: float
    total: float
    count: int

    @property
    def mean(self) -> float:
        return self.total / self.count

    def merge(self, other: Rollup) -> Rollup:
        return Rollup(
            min(self.low, other.low),
            max(self.high, other.high),
            self.total + other.total,
            self.count + other.count,
        )


def bucket_start(at: int, step_s: int) -> int:
    return at - at % step_s


def roll_up(samples: Iterable[tuple[int, float]], step_s: int) -> dict[int, Rollup]:
    """Samples (Unix seconds, value) of one series into buckets of ``step_s`` by their start."""
    sums = bucket_sums(((0, at, value) for at, value in samples), step_s)
    return {start: Rollup(lo, hi, total, n) for (_, start), (lo, hi, total, n) in sums.items()}


def bucket_sums(
    samples: Iterable[tuple[int, int, float]], step_s: int
) -> dict[tuple[int, int], list[Any]]:
    """Samples (series, Unix seconds, value) of many series into ``[lowest, highest, sum,
    count]`` by (series, bucket start). Plain lists: this runs for every sample of every
    report, on the thread ingest commits on."""
    sums: dict[tuple[int, int], list[Any]] = {}
    for key, at, value in samples:
        bucket = (key, at - at % step_s)
        found = sums.get(bucket)
        if found is None:
            sums[bucket] = [value, value, value, 1]
            continue
        if value < found[0]:
            found[0] = value
        if value > found[1]:
            found[1] = value
        found[2] += value
        found[3] += 1
    return sums
