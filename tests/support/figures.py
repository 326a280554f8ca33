"""Agent report probes with figures in them, as a real agent (or the demo fleet) sends; a
PBX's stored history and a Mitel watched over SNMP, for the host pages' tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, update

from collector.domain.maintenance import MaintenanceWindow
from collector.store import inventory, schema
from collector.store import maintenance as maintenance_store
from collector.store import series as series_store
from collector.store import snmp as snmp_store
from collector.store.reports import IncomingReport, store_reports
from collector.store.series import Sample
from collector.store.snmp import AlarmStatus, SnmpAgent
from tests.support.dashboard import START


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


NOW_S = int(START.timestamp())
METRICS = ("cpu_percent", "filesystem:/var.used_percent", "trunk:pstn.registered")


def pbx_history(conn: Connection) -> None:
    """Two hours of the seeded PBX's figures, a maintenance window an hour ago, its newest
    report."""
    samples = [
        Sample("pbx1", metric, NOW_S - 60 * n, float(n % 7) + (5 if "cpu" in metric else 60))
        for metric in METRICS[:2]
        for n in range(120)
    ]
    samples += [Sample("pbx1", METRICS[2], NOW_S - 60 * n, float(n > 20)) for n in range(120)]
    samples.append(Sample("pbx1", "probe:ssh.latency_ms", NOW_S - 120, 14.0))
    series_store.record(conn, samples)
    window = MaintenanceWindow(
        "new", "once", START - timedelta(minutes=70), START - timedelta(minutes=50),
        host_id="pbx1", reason="reboot",
    )  # fmt: skip
    maintenance_store.add_window(conn, window, "acme", "olga", START)
    body = {"sampled_at": START.isoformat(), "probes": pbx_probes(pstn="Rejected")}
    store_reports(conn, [IncomingReport("pbx1", 1, START, body)], START)
    # Evaluated already (its figures are the samples above), so the running collector does
    # not add its own.
    conn.execute(update(schema.reports).values(processed_at=START))


def add_mitel(conn: Connection) -> None:
    """A Mitel of the seeded customer, watched over SNMP: a major alarm, a restart before it."""
    inventory.add_host(conn, "mitel1", "acme", START, name="acme-mitel", kind="mitel")
    agent = SnmpAgent("mitel1", "192.0.2.10", "mitel-3300", "2c", community="s3cret")
    snmp_store.set_agent(conn, agent)
    status = AlarmStatus(
        "mitel1", "major", [{"name": "Trunks <T1>", "level": "major"}], "Mitel 3300 ICP",
        polled_at=START - timedelta(minutes=1), traps_total=3, last_trap_at=START,
    )  # fmt: skip
    snmp_store.save_status(conn, status, START)
    snmp_store.add_event(conn, "mitel1", START - timedelta(hours=1), "restart",
                         "PBX restart complete")  # fmt: skip
    snmp_store.add_event(conn, "mitel1", START, "alarm", "Mitel alarm level: major")
