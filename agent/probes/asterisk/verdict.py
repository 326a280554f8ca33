"""The probe's status from one sample's metrics, with the problems that decided it.

Critical when a trunk registration (PJSIP or chan_sip) is not ``Registered`` or a trunk is
``Unavailable`` or unreachable: calls through it are failing. Warning when another contact is
unreachable (one phone), a configured trunk does not exist (a typo in the agent's
configuration, or a renamed trunk), or an action failed (the picture is incomplete). Otherwise
ok.
"""

from __future__ import annotations

from agent.probes.asterisk.rows import Metrics
from agent.probes.asterisk.settings import AsteriskSettings


def evaluate(metrics: Metrics, settings: AsteriskSettings) -> tuple[str, list[str]]:
    """The probe status and the readable problems behind it, worst first."""
    critical: list[str] = []
    warning: list[str] = []
    for reg in metrics.get("registrations") or []:
        if reg["status"] != "Registered":
            critical.append(f"trunk registration {reg['name']} is {reg['status']}")
    for reg in metrics.get("sip_registry") or []:
        if reg["state"] != "Registered":
            critical.append(
                f"chan_sip registration {reg['username']}@{reg['host']} is {reg['state']}"
            )
    for ep in metrics.get("endpoints") or []:
        if ep["trunk"] and ep["device_state"] == "Unavailable":
            critical.append(f"trunk {ep['name']} is Unavailable")
    for contact in metrics.get("contacts") or []:
        if contact["status"] == "Unreachable":
            where = critical if contact["trunk"] else warning
            where.append(f"contact {contact['uri']} of {contact['endpoint']} is Unreachable")
    for peer in metrics.get("sip_peers") or []:
        if peer["status"].startswith("UNREACHABLE"):
            (critical if peer["trunk"] else warning).append(
                f"SIP peer {peer['name']} is UNREACHABLE"
            )
    warning += _missing_trunks(metrics, settings)
    warning += [f"{action} failed: {message}" for action, message in metrics["errors"].items()]
    status = "critical" if critical else "warning" if warning else "ok"
    return status, critical + warning


def _missing_trunks(metrics: Metrics, settings: AsteriskSettings) -> list[str]:
    if metrics.get("endpoints") is None and metrics.get("sip_peers") is None:
        return []  # nothing was listed, so nothing can be said to be missing
    known = {ep["name"] for ep in metrics.get("endpoints") or []}
    known |= {peer["name"] for peer in metrics.get("sip_peers") or []}
    return [
        f"configured trunk {name} does not exist in Asterisk"
        for name in settings.trunks
        if name not in known
    ]
