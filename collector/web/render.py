"""The JSON shapes the API answers with. Datetimes are RFC 3339 in UTC with a ``Z``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from collector.store.faults import FaultView
from collector.store.incident_view import IncidentView
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


_HOST = (
    "id",
    "customer_id",
    "name",
    "kind",
    "interval_s",
    "agent_interval_s",
    "heartbeat_interval_s",
    "interval_source",
    "last_seen_at",
    "last_seq",
)
_FAULT = (
    "id",
    "host_id",
    "host_name",
    "customer_id",
    "customer_name",
    "check_key",
    "severity",
    "title",
    "detail",
    "opened_at",
    "resolved_at",
    "acknowledged_at",
    "acknowledged_by",
    "ack_comment",
    "last_notified_at",
)
_INCIDENT = (
    "id",
    "reference",
    "fault_id",
    "customer_id",
    "customer_name",
    "host_name",
    "title",
    "tier",
    "covered",
    "severity",
    "status",
    "opened_at",
    "response_due_at",
    "response_outcome",
    "closed_at",
    "policy",
)
#: A message's delivery record; the body stays out (it carries customers' ack links).
_OUTBOX = (
    "id",
    "created_at",
    "fault_id",
    "kind",
    "recipient",
    "subject",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "sent_at",
)
_PROBE_RESULT = (
    "id",
    "check_id",
    "kind",
    "name",
    "target",
    "at",
    "verdict",
    "latency_ms",
    "detail",
    "data",
)


def _attributes(source: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of ``source``, its datetimes in RFC 3339."""
    return {name: _plain(getattr(source, name)) for name in names}


def _plain(value: Any) -> Any:
    return rfc3339(value) if isinstance(value, datetime) else value


def host_json(host: Host) -> dict[str, Any]:
    return _attributes(host, _HOST)


def host_with_key_json(host: Host, key: str) -> dict[str, Any]:
    return {**host_json(host), "key": key, "key_notice": KEY_NOTICE}


def fault_json(fault: FaultView) -> dict[str, Any]:
    return {**_attributes(fault, _FAULT), "open": fault.is_open}


def event_json(row: Any) -> dict[str, Any]:
    return {"at": rfc3339(row.at), "kind": row.kind, "detail": row.detail}


def incident_json(incident: IncidentView) -> dict[str, Any]:
    return _attributes(incident, _INCIDENT)


def outbox_json(row: Any) -> dict[str, Any]:
    return _attributes(row, _OUTBOX)


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
    return _attributes(result, _PROBE_RESULT)


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
