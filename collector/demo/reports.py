"""What a simulated host reports: the ``probes`` of an agent report for one moment.

Key names are the real agent's (``agent/probes/system.py``, ``asterisk/``, ``sip.py``), so
the collector's rules read these reports exactly as they read a real host's. Numbers that are
not part of a scenario wobble a little, repeatably: the same host and tick give the same values.
"""

from __future__ import annotations

import random
from typing import Any

from collector.demo.fleet import HostState, SimHost

GIB = 1024**3


def _noise(host_id: str, tick: int, what: str) -> float:
    """A repeatable pseudo-random number in [0, 1) for this host, report and metric."""
    return random.Random(f"{host_id}:{tick}:{what}").random()


def filesystem(mount: str, size_gib: int, percent: float) -> dict[str, Any]:
    """One entry of ``filesystems``, with ``df``'s fields as the agent reports them."""
    total = size_gib * GIB
    used = int(total * percent / 100)
    inodes_total = size_gib * 65536
    inodes_used = inodes_total // 10
    return {
        "device": f"/dev/mapper/vg0-{mount.strip('/').replace('/', '_') or 'root'}",
        "fstype": "ext4",
        "total_bytes": total,
        "used_bytes": used,
        "free_bytes": total - used,
        "used_percent": round(100.0 * used / total, 2),
        "inodes_total": inodes_total,
        "inodes_used": inodes_used,
        "inodes_free": inodes_total - inodes_used,
        "inodes_used_percent": round(100.0 * inodes_used / inodes_total, 2),
    }


def system_metrics(
    host: SimHost, state: HostState, tick: int, boot_time: float, now: float
) -> dict[str, Any]:
    cpu = round(4 + 30 * _noise(host.id, tick, "cpu"), 1)
    memory_percent = round(35 + 20 * _noise(host.id, tick // 6, "mem"), 1)
    filesystems = {
        mount: filesystem(mount, size_gib, state.disk_percent[mount])
        for mount, size_gib, _ in host.disks
    }
    memory_total = 8 * GIB
    return {
        "cpu_percent": cpu,
        "cpu_per_core_percent": [cpu, cpu],
        "cpu_count": 2,
        "load_1m": round(cpu / 50, 2),
        "load_5m": round(cpu / 60, 2),
        "load_15m": round(cpu / 70, 2),
        "memory": {
            "total_bytes": memory_total,
            "available_bytes": int(memory_total * (1 - memory_percent / 100)),
            "used_bytes": int(memory_total * memory_percent / 100),
            "used_percent": memory_percent,
        },
        "swap": {
            "total_bytes": 2 * GIB,
            "used_bytes": 0,
            "used_percent": 0.0,
            "swapped_in_bytes": 0,
            "swapped_out_bytes": 0,
        },
        "filesystems": filesystems,
        "disk_io": {},
        "network": {},
        "boot_time": boot_time,
        "uptime_s": round(max(0.0, now - boot_time), 1),
        "process_count": 120 + int(40 * _noise(host.id, tick, "procs")),
    }


def asterisk_metrics(host: SimHost, state: HostState, tick: int) -> dict[str, Any]:
    calls = int(host.phones * 0.2 * _noise(host.id, tick, "calls"))
    registrations = [
        {
            "name": trunk,
            "status": status,
            "server_uri": f"sip:{trunk}.example:5060",
            "client_uri": f"sip:{host.id}@{trunk}.example",
            "endpoint": trunk,
        }
        for trunk, status in state.trunk_registration.items()
    ]
    endpoints = [
        {"name": trunk, "device_state": "Not in use", "trunk": True, "active_channels": 0}
        for trunk in host.trunks
    ] + [
        {"name": f"{200 + n}", "device_state": "Not in use", "trunk": False, "active_channels": 0}
        for n in range(host.phones)
    ]
    problems = [
        f"trunk registration {r['name']} is {r['status']}"
        for r in registrations
        if r["status"] != "Registered"
    ]
    return {
        "reachable": True,
        "logged_in": True,
        "ami_version": "9.0.0",
        "auth": "md5",
        "ping_ms": round(0.3 + _noise(host.id, tick, "ping"), 3),
        "asterisk_version": "20.7.0",
        "current_calls": calls,
        "endpoints": endpoints,
        "registrations": registrations,
        "contacts": [],
        "channels": {"count": calls * 2, "longest_s": 0, "longest_channel": None},
        "queues": None,
        "problems": problems,
        "errors": {},
    }


def probes(
    host: SimHost, state: HostState, tick: int, boot_time: float, now: float
) -> dict[str, Any]:
    """The report's ``probes``, each ``{"status", "metrics", "error"}`` like the agent's.

    ``tick`` numbers the host's reports (it seeds the wobble); times are Unix seconds."""
    found: dict[str, Any] = {
        "system": {
            "status": "ok",
            "metrics": system_metrics(host, state, tick, boot_time, now),
            "error": None,
        },
    }
    if host.kind == "pbx":
        metrics = asterisk_metrics(host, state, tick)
        problems = "; ".join(metrics["problems"]) or None
        found["asterisk"] = {
            "status": "critical" if problems else "ok",
            "metrics": metrics,
            "error": problems,
        }
        rtt = round(1 + 4 * _noise(host.id, tick, "sip"), 3)
        found["sip"] = {
            "status": "ok",
            "metrics": {
                "state": "up",
                "code": 200,
                "reason": "OK",
                "rtt_ms": rtt,
                "transport": "udp",
            },
            "error": None,
        }
    return found
