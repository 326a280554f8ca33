"""Are the customer's services up: named processes, systemd units and listening ports.

Walking every process is the most expensive thing the agent does, so the process table is
scanned every few cycles and the answer reused in between; units (one ``systemctl`` call for
all of them) and ports (``/proc/net`` tables, no per-process walk) are checked every cycle.
A configured service that is down makes the probe ``critical``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import psutil

from agent.config import PortCheck, ServicesSettings
from agent.probes.base import ProbeEntry, entry

#: Linux truncates a process's name (comm) to 15 characters.
COMM_LENGTH = 15
_TCP_LISTEN = "0A"
_UNIT_PROPERTIES = "Id,LoadState,ActiveState,SubState,NRestarts,ActiveEnterTimestampMonotonic"
_UP_STATES = frozenset({"active", "reloading"})


class ServicesProbe:
    """Keeps what must survive between cycles: the process scan and the units' restart counts."""

    def __init__(
        self,
        settings: ServicesSettings,
        *,
        scan_every: int = 5,
        systemctl: str = "systemctl",
        proc_root: Path = Path("/proc"),
        process_names: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self.settings = settings
        self._scan_every = max(1, scan_every)
        self._systemctl = systemctl
        self._proc_root = proc_root
        self._process_names = process_names or _running_process_names
        self._cycle = 0
        self._process_counts: dict[str, int] | None = None
        self._units_before: dict[str, tuple[int | None, str]] = {}

    def collect(self) -> ProbeEntry:
        failures: list[str] = []
        metrics: dict[str, Any] = {}
        down: list[str] = []
        if self.settings.processes:
            metrics["processes"] = self._processes(failures)
            down += [f"process {n}" for n, p in metrics["processes"].items() if not p["running"]]
        if self.settings.units:
            metrics["units"] = self._units(failures)
            down += [f"unit {n}" for n, u in metrics["units"].items() if u["active"] is False]
        if self.settings.ports:
            metrics["ports"] = self._ports(failures)
            down += [f"port {n}" for n, p in metrics["ports"].items() if p["listening"] is False]
        self._cycle += 1
        metrics["down"] = down
        problems = [f"down: {', '.join(down)}"] if down else []
        error = "; ".join(problems + failures) or None
        if down:
            return entry("critical", metrics, error)
        return entry("error" if failures else "ok", metrics, error)

    def _processes(self, failures: list[str]) -> dict[str, dict[str, Any]]:
        if self._process_counts is None or self._cycle % self._scan_every == 0:
            try:
                self._process_counts = count_processes(
                    self.settings.processes, self._process_names()
                )
            except (OSError, psutil.Error) as exc:
                failures.append(f"process scan: {exc}")
        counts = self._process_counts or {}
        return {
            name: {"running": counts.get(name, 0) > 0, "count": counts.get(name, 0)}
            for name in self.settings.processes
        }

    def _units(self, failures: list[str]) -> dict[str, dict[str, Any]]:
        try:
            states = query_units(self._systemctl, self.settings.units)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            failures.append(f"systemctl: {exc}")
            states = {}
        units: dict[str, dict[str, Any]] = {}
        for unit in self.settings.units:
            props = states.get(unit)
            if props is None:
                units[unit] = {"active": None}
                continue
            units[unit] = self._unit_metrics(unit, props)
        return units

    def _unit_metrics(self, unit: str, props: dict[str, str]) -> dict[str, Any]:
        """State and restarts since the previous report (crash restarts and manual ones)."""
        total = int(props["NRestarts"]) if props.get("NRestarts", "").isdigit() else None
        entered = props.get("ActiveEnterTimestampMonotonic", "")
        before = self._units_before.get(unit)
        restarts = 0
        if before is not None:
            if total is not None and before[0] is not None:
                restarts = max(0, total - before[0])
            if restarts == 0 and entered != before[1] and before[1] not in ("", "0"):
                restarts = 1  # re-activated without systemd counting it: a manual restart
        self._units_before[unit] = (total, entered)
        active_state = props.get("ActiveState", "")
        return {
            "active": active_state in _UP_STATES,
            "load_state": props.get("LoadState", ""),
            "active_state": active_state,
            "sub_state": props.get("SubState", ""),
            "restarts": restarts,
            "restarts_total": total,
        }

    def _ports(self, failures: list[str]) -> dict[str, dict[str, Any]]:
        wanted = {check.protocol for check in self.settings.ports}
        listening: dict[str, set[int]] = {}
        for protocol in sorted(wanted):
            try:
                listening[protocol] = listening_ports(self._proc_root, protocol)
            except OSError as exc:
                failures.append(f"{protocol} sockets: {exc.strerror or exc}")
        return {
            str(check): {"listening": _is_listening(check, listening)}
            for check in self.settings.ports
        }


def _is_listening(check: PortCheck, listening: dict[str, set[int]]) -> bool | None:
    ports = listening.get(check.protocol)
    return None if ports is None else check.port in ports


def count_processes(wanted: Iterable[str], running: Iterable[str]) -> dict[str, int]:
    """How many running processes carry each wanted name (Linux truncates names to 15)."""
    by_comm: dict[str, list[str]] = {}
    for name in wanted:
        by_comm.setdefault(name[:COMM_LENGTH], []).append(name)
    counts = dict.fromkeys(wanted, 0)
    for name in running:
        for match in by_comm.get(name, ()):
            counts[match] += 1
    return counts


def _running_process_names() -> Iterator[str]:
    """Process names only: one small read per process, no cmdline or memory maps."""
    for process in psutil.process_iter(["name"]):
        name = process.info.get("name")
        if name:
            yield name


def query_units(systemctl: str, units: Iterable[str]) -> dict[str, dict[str, str]]:
    """Properties of each unit from one ``systemctl show`` call (blocks come in the asked order)."""
    units = list(units)
    result = subprocess.run(
        [systemctl, "show", f"--property={_UNIT_PROPERTIES}", "--", *units],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    blocks = [b for b in result.stdout.split("\n\n") if b.strip()]
    if result.returncode != 0 or len(blocks) != len(units):
        reason = result.stderr.strip().splitlines()[:1] or [f"exit status {result.returncode}"]
        raise ValueError(reason[0])
    return {unit: _properties(block) for unit, block in zip(units, blocks, strict=True)}


def _properties(block: str) -> dict[str, str]:
    pairs = (line.partition("=") for line in block.splitlines() if "=" in line)
    return {key: value for key, _, value in pairs}


def listening_ports(proc_root: Path, protocol: str) -> set[int]:
    """Local ports with a TCP listener or a bound UDP socket, from ``/proc/net`` (IPv4 and 6)."""
    ports: set[int] = set()
    found = False
    for table in (protocol, protocol + "6"):
        try:
            lines = (proc_root / "net" / table).read_text().splitlines()[1:]
        except FileNotFoundError:  # a kernel without IPv6
            continue
        found = True
        for line in lines:
            fields = line.split()
            if len(fields) < 4 or (protocol == "tcp" and fields[3] != _TCP_LISTEN):
                continue
            ports.add(int(fields[1].rpartition(":")[2], 16))
    if not found:
        raise FileNotFoundError(f"no {proc_root}/net/{protocol} table")
    return ports
