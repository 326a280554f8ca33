"""Host health from psutil: CPU, load, memory, swap, filesystems, disk and network counters.

The probe reports facts, not verdicts: thresholds live on the collector, so a customer's limits
change without touching agents. Status is ``ok`` unless part of the sample could not be read,
in which case the rest is still reported with ``warning`` and the failures named. Counters
(disk I/O, network) are cumulative since boot; the collector turns them into rates.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import psutil

from agent.config import SystemSettings
from agent.probes.base import ProbeEntry, entry

#: Read-only images are always "full" and say nothing about the host's health.
IGNORED_FSTYPES = frozenset({"squashfs", "iso9660", "udf", "erofs"})
#: Whole disks only: partitions, loop and RAM devices would count the same I/O twice
#: (the same pattern node_exporter ignores by default).
_IGNORED_DISKS = re.compile(r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p|mmcblk\d+p)\d+$")
#: A boot time may move by a few seconds when the clock is stepped; a reboot moves it further.
REBOOT_TOLERANCE_S = 30.0


class CpuWindow:
    """CPU use between consecutive samples; the first sample gives the average since boot.

    psutil's own ``cpu_percent(None)`` answers a meaningless 0.0 on its first call, which would
    be the first report after every agent start.
    """

    def __init__(self) -> None:
        self._total: tuple[float, float] = (0.0, 0.0)
        self._per_core: list[tuple[float, float]] = []

    def sample(self) -> tuple[float, list[float]]:
        total = _busy_and_all(psutil.cpu_times())
        per_core = [_busy_and_all(times) for times in psutil.cpu_times(percpu=True)]
        fresh = len(self._per_core) != len(per_core)  # first sample, or a CPU came online
        baseline = [(0.0, 0.0)] * len(per_core) if fresh else self._per_core
        overall = _usage(self._total, total)
        cores = [_usage(old, new) for old, new in zip(baseline, per_core, strict=True)]
        self._total, self._per_core = total, per_core
        return overall, cores


def _busy_and_all(times: Any) -> tuple[float, float]:
    """Busy and total seconds; guest time is already inside user time on Linux."""
    every = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return every - idle, every


def _usage(before: tuple[float, float], after: tuple[float, float]) -> float:
    busy, every = after[0] - before[0], after[1] - before[1]
    return round(min(100.0, max(0.0, 100.0 * busy / every)), 1) if every > 0 else 0.0


_cpu_window = CpuWindow()


def collect(settings: SystemSettings) -> ProbeEntry:
    """One sample of the host. CPU use is measured since the previous call in this process."""
    failures: list[str] = []
    metrics: dict[str, Any] = {}
    for name, sample in _SAMPLES:
        try:
            metrics.update(sample(settings, failures))
        except (OSError, psutil.Error) as exc:
            failures.append(f"{name}: {exc}")
    if failures:
        return entry("warning", metrics, "; ".join(failures))
    return entry("ok", metrics)


def detect_events(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``reboot`` event when the boot time moved forward since the previous sample."""
    before = (previous or {}).get("boot_time")
    now = current.get("boot_time")
    if not isinstance(before, int | float) or not isinstance(now, int | float):
        return []
    if now - before <= REBOOT_TOLERANCE_S:
        return []
    return [{"kind": "reboot", "probe": "system", "boot_time": now, "previous_boot_time": before}]


def remember(metrics: dict[str, Any]) -> dict[str, Any]:
    """What :func:`detect_events` needs from this sample, kept across agent restarts."""
    return {"boot_time": metrics.get("boot_time")}


def _cpu(settings: SystemSettings, failures: list[str]) -> dict[str, Any]:
    overall, cores = _cpu_window.sample()
    return {"cpu_percent": overall, "cpu_per_core_percent": cores, "cpu_count": len(cores)}


def _load(settings: SystemSettings, failures: list[str]) -> dict[str, Any]:
    load1, load5, load15 = os.getloadavg()
    return {"load_1m": load1, "load_5m": load5, "load_15m": load15}


def _memory(settings: SystemSettings, failures: list[str]) -> dict[str, Any]:
    memory = psutil.virtual_memory()
    return {
        "memory": {
            "total_bytes": memory.total,
            "available_bytes": memory.available,
            "used_bytes": memory.used,
            "used_percent": memory.percent,
        }
    }


def _swap(settings: SystemSettings, failures: list[str]) -> dict[str, Any]:
    swap = psutil.swap_memory()
    return {
        "swap": {
            "total_bytes": swap.total,
            "used_bytes": swap.used,
            "used_percent": swap.percent,
            "swapped_in_bytes": swap.sin,
            "swapped_out_bytes": swap.sout,
        }
    }


def _filesystems(settings: SystemSettings, failures: list[str]) -> dict[str, Any]:
    """Space and inodes of every mounted local filesystem, keyed by mount point."""
    filesystems: dict[str, dict[str, Any]] = {}
    for partition in psutil.disk_partitions(all=False):
        mountpoint = partition.mountpoint
        if partition.fstype in IGNORED_FSTYPES or mountpoint in filesystems:
            continue
        if any(_under(mountpoint, excluded) for excluded in settings.exclude_mountpoints):
            continue
        try:
            usage = os.statvfs(mountpoint)
        except OSError as exc:  # e.g. a mount point the agent's user may not enter
            failures.append(f"filesystem {mountpoint}: {exc.strerror or exc}")
            continue
        filesystems[mountpoint] = {
            "device": partition.device,
            "fstype": partition.fstype,
            **_space(usage),
        }
    return {"filesystems": filesystems}


def _space(usage: os.statvfs_result) -> dict[str, Any]:
    """``df``'s arithmetic: used percent is of the space ordinary users can have."""
    total = usage.f_blocks * usage.f_frsize
    free = usage.f_bavail * usage.f_frsize
    used = (usage.f_blocks - usage.f_bfree) * usage.f_frsize
    inodes_used = usage.f_files - usage.f_ffree
    return {
        "total_bytes": total,
        "used_bytes": used,
        "free_bytes": free,
        "used_percent": _percent(used, used + free),
        "inodes_total": usage.f_files,
        "inodes_used": inodes_used,
        "inodes_free": usage.f_favail,
        # Filesystems without inode limits (btrfs, vfat) report zero inodes: 0 % used.
        "inodes_used_percent": _percent(inodes_used, inodes_used + usage.f_favail),
    }


def _disk_io(settings: SystemSettings, failures: list[str]) -> dict[str, Any]:
    counters = psutil.disk_io_counters(perdisk=True) or {}
    return {
        "disk_io": {
            disk: {
                "read_bytes": io.read_bytes,
                "write_bytes": io.write_bytes,
                "reads": io.read_count,
                "writes": io.write_count,
                "busy_ms": getattr(io, "busy_time", 0),
            }
            for disk, io in sorted(counters.items())
            if not _IGNORED_DISKS.match(disk)
        }
    }


def _network(settings: SystemSettings, failures: list[str]) -> dict[str, Any]:
    counters = psutil.net_io_counters(pernic=True)
    return {
        "network": {
            nic: {
                "bytes_received": io.bytes_recv,
                "bytes_sent": io.bytes_sent,
                "errors_in": io.errin,
                "errors_out": io.errout,
                "drops_in": io.dropin,
                "drops_out": io.dropout,
            }
            for nic, io in sorted(counters.items())
            if nic != "lo"
        }
    }


def _uptime(settings: SystemSettings, failures: list[str]) -> dict[str, Any]:
    boot_time = psutil.boot_time()
    return {"boot_time": boot_time, "uptime_s": max(0.0, round(time.time() - boot_time, 1))}


def _processes(settings: SystemSettings, failures: list[str]) -> dict[str, Any]:
    return {"process_count": len(psutil.pids())}


def _percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 2) if whole > 0 else 0.0


def _under(path: str, excluded: str) -> bool:
    """``path`` is the excluded mount point or below it (``/`` excludes only itself)."""
    excluded = excluded.rstrip("/")
    return path == (excluded or "/") or (bool(excluded) and path.startswith(excluded + "/"))


_SAMPLES = (
    ("cpu", _cpu),
    ("load", _load),
    ("memory", _memory),
    ("swap", _swap),
    ("filesystems", _filesystems),
    ("disk_io", _disk_io),
    ("network", _network),
    ("uptime", _uptime),
    ("processes", _processes),
)
