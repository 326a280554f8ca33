"""The JSON shapes the API answers with. Datetimes are RFC 3339 in UTC with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from collector.store.faults import FaultView
from collector.store.incidents import IncidentView
from collector.store.inventory import Contract, Host
from collector.store.maintenance import StoredWindow
from collector.store.probe_results import HostCheck, StoredResult

#: Said next to every signing key the API hands out.
KEY_NOTICE = (
    "This signing key is shown once and cannot be read back: store it on the host now "
    "(a file only the agent's user can read, named by key_file in the agent's configuration). "
    "Rotate the key if it is lost."
)


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def contract_json(contract: Contract | None) -> dict[str, Any] | None:
    """Contract days are stored as midnight UTC; the API speaks in calendar days."""
    if contract is None:
        return None
    return {
        "tier": contract.tier,
        "starts_on": contract.starts_on.date().isoformat(),
        "ends_on": contract.ends_on.date().isoformat() if contract.ends_on else None,
        "ports": contract.ports,
    }


def host_json(host: Host) -> dict[str, Any]:
    return {
        "id": host.id,
        "customer_id": host.customer_id,
        "name": host.name,
        "kind": host.kind,
        "interval_s": host.interval_s,
        "agent_interval_s": host.agent_interval_s,
        "heartbeat_interval_s": host.heartbeat_interval_s,
        "interval_source": host.interval_source,
        "last_seen_at": rfc3339(host.last_seen_at),
        "last_seq": host.last_seq,
    }


def host_with_key_json(host: Host, key: str) -> dict[str, Any]:
    return {**host_json(host), "key": key, "key_notice": KEY_NOTICE}


def fault_json(fault: FaultView) -> dict[str, Any]:
    return {
        "id": fault.id,
        "host_id": fault.host_id,
        "host_name": fault.host_name,
        "customer_id": fault.customer_id,
        "customer_name": fault.customer_name,
        "check_key": fault.check_key,
        "severity": fault.severity,
        "title": fault.title,
        "detail": fault.detail,
        "open": fault.is_open,
        "opened_at": rfc3339(fault.opened_at),
        "resolved_at": rfc3339(fault.resolved_at),
        "acknowledged_at": rfc3339(fault.acknowledged_at),
        "acknowledged_by": fault.acknowledged_by,
        "ack_comment": fault.ack_comment,
        "last_notified_at": rfc3339(fault.last_notified_at),
    }


def event_json(row: Any) -> dict[str, Any]:
    return {"at": rfc3339(row.at), "kind": row.kind, "detail": row.detail}


def incident_json(incident: IncidentView) -> dict[str, Any]:
    return {
        "id": incident.id,
        "reference": incident.reference,
        "fault_id": incident.fault_id,
        "customer_id": incident.customer_id,
        "customer_name": incident.customer_name,
        "host_name": incident.host_name,
        "title": incident.title,
        "tier": incident.tier,
        "covered": incident.covered,
        "severity": incident.severity,
        "status": incident.status,
        "opened_at": rfc3339(incident.opened_at),
        "response_due_at": rfc3339(incident.response_due_at),
        "response_outcome": incident.response_outcome,
        "closed_at": rfc3339(incident.closed_at),
        "policy": incident.policy,
    }


def outbox_json(row: Any) -> dict[str, Any]:
    """A message's delivery record; the body stays out (it carries customers' ack links)."""
    return {
        "id": row.id,
        "created_at": rfc3339(row.created_at),
        "fault_id": row.fault_id,
        "kind": row.kind,
        "recipient": row.recipient,
        "subject": row.subject,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": rfc3339(row.next_attempt_at),
        "last_error": row.last_error,
        "sent_at": rfc3339(row.sent_at),
    }


def window_state(stored: StoredWindow, now: datetime) -> str:
    """``in_force`` now, ``scheduled`` (will be, or between occurrences), or ``ended``."""
    if stored.is_over(now):
        return "ended"
    return "in_force" if stored.window.active_at(now) else "scheduled"


def window_json(stored: StoredWindow, now: datetime) -> dict[str, Any]:
    window, occurrence = stored.window, stored.window.occurrence_at(now)
    return {
        "id": stored.id,
        "customer_id": stored.customer_id,
        "host_id": window.host_id,
        "frequency": window.frequency,
        "starts_at": rfc3339(window.starts_at),
        "ends_at": rfc3339(window.ends_at),
        "local_time": window.local_time.isoformat() if window.local_time else None,
        "timezone": window.timezone,
        "weekdays": list(window.weekdays),
        "duration_s": window.duration_s if window.frequency != "once" else None,
        "reason": window.reason,
        "created_by": stored.created_by,
        "created_at": rfc3339(stored.created_at),
        "ended_at": rfc3339(stored.ended_at),
        "state": window_state(stored, now),
        "in_force_until": rfc3339(occurrence[1]) if occurrence else None,
    }


def probe_result_json(result: StoredResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "check_id": result.check_id,
        "kind": result.kind,
        "name": result.name,
        "target": result.target,
        "at": rfc3339(result.at),
        "verdict": result.verdict,
        "latency_ms": result.latency_ms,
        "detail": result.detail,
        "data": result.data,
    }


def host_check_json(check: HostCheck, latest: StoredResult | None) -> dict[str, Any]:
    """A check and its newest result; its options stay out (they may name key files)."""
    return {
        "id": check.id,
        "kind": check.kind,
        "name": check.name,
        "label": check.label,
        "target": check.target,
        "interval_s": check.interval_s,
        "enabled": check.enabled,
        "latest": probe_result_json(latest) if latest else None,
    }
