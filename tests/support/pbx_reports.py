"""An agent's report from a PBX host whose Asterisk is up or down: the process, its AMI and SIP
ports, AMI and the SIP ping all agree, as they do when Asterisk stops."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent import protocol
from collector.store.reports import IncomingReport


def asterisk_report(host_id: str, seq: int, at: datetime, asterisk_up: bool) -> IncomingReport:
    services = {
        "processes": {"asterisk": {"running": asterisk_up}},
        "ports": {"5038": {"listening": asterisk_up}, "5060/udp": {"listening": asterisk_up}},
    }
    ami: dict[str, Any] = {"reachable": asterisk_up}
    if asterisk_up:
        ami["endpoints"] = [{"name": "trunk-a", "trunk": True, "device_state": "Not in use"}]
    sip = {"state": "up" if asterisk_up else "down"}
    probes = {
        name: {"status": "ok", "metrics": metrics, "error": None}
        for name, metrics in (("services", services), ("asterisk", ami), ("sip", sip))
    }
    body = protocol.build_report(
        host_id=host_id, seq=seq, sampled_at=at, interval_s=60, agent_version="t", probes=probes
    )
    return IncomingReport(host_id, seq, at, body)
