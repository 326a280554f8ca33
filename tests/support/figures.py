"""Agent report probes with figures in them, as a real agent (or the demo fleet) sends."""

from __future__ import annotations

from typing import Any


def system_probes(
    cpu: float = 12.5, root_used: float = 51.0, received: int = 1000, sent: int = 500
) -> dict[str, Any]:
    return {
        "system": {
            "status": "ok",
            "error": None,
            "metrics": {
                "cpu_percent": cpu,
                "load_1m": 0.4,
                "memory": {"total_bytes": 8 << 30, "used_percent": 41.0},
                "swap": {"used_percent": 0.0},
                "filesystems": {
                    "/": {"used_percent": root_used, "inodes_used_percent": 3.0},
                    "/var": {"used_percent": 70.0, "inodes_used_percent": 9.5},
                },
                "network": {"eth0": {"bytes_received": received, "bytes_sent": sent}},
                "process_count": 120,
            },
        }
    }


def pbx_probes(pstn: str = "Registered") -> dict[str, Any]:
    probes = system_probes()
    probes["asterisk"] = {
        "status": "ok" if pstn == "Registered" else "critical",
        "error": None,
        "metrics": {
            "current_calls": 3,
            "channels": {"count": 6, "longest_s": 10, "longest_channel": None},
            "registrations": [
                {"name": "pstn", "status": pstn, "server_uri": "sip:pstn.example"},
                {"name": "backup", "status": "Registered", "server_uri": "sip:backup.example"},
            ],
            "endpoints": [
                {"name": "pstn", "device_state": "Not in use", "trunk": True},
                {"name": "201", "device_state": "In use", "trunk": False},
                {"name": "202", "device_state": "Unavailable", "trunk": False},
            ],
        },
    }
    probes["sip"] = {"status": "ok", "error": None, "metrics": {"state": "up", "rtt_ms": 2.5}}
    return probes
