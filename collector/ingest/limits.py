"""How much one report may carry: a bound on what one host can make the collector store and
evaluate, whatever its agent (or whoever holds its key) sends.

An agent reports a handful of probes, each with at most a few hundred processes, units,
ports, trunks or phones; a report past these limits is refused with a 400 naming where.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Probes in one report (the agent has five kinds; plugins may add a few).
MAX_PROBES = 100
#: Entries in any one object or list inside a probe's metrics (processes, units, ports...).
MAX_ENTRIES = 1000


def excess(probes: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(field, reason)`` for the first limit the report's probes pass, else None."""
    if len(probes) > MAX_PROBES:
        return "probes", f"{len(probes)} probes; at most {MAX_PROBES} in one report"
    for name, probe in probes.items():
        pending: list[tuple[str, Any]] = [(f"probes.{name}.metrics", probe.get("metrics"))]
        while pending:
            where, value = pending.pop()
            if isinstance(value, Mapping):
                children = [(f"{where}.{key}", child) for key, child in value.items()]
            elif isinstance(value, list):
                children = [(f"{where}.{i}", child) for i, child in enumerate(value)]
            else:
                continue
            if len(children) > MAX_ENTRIES:
                reason = f"{where}: {len(children)} entries; at most {MAX_ENTRIES} in one"
                return where, reason
            pending.extend(children)
    return None
