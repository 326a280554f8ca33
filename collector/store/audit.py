"""The audit log: who did what, when, from where, to whose data. Rows are only ever added.

``detail`` says what changed, as JSON; callers never put a password, a token or a link in it
(``record`` drops any key that names one, as a second line of defence).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from collector.store.people_schema import audit_log

_SECRET_WORDS = ("password", "token", "secret", "link", "totp")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    customer_id: str | None
    address: str
    action: str
    target: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "customer_id": self.customer_id,
            "address": self.address,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
        }


def _without_secrets(detail: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if not any(w in k.lower() for w in _SECRET_WORDS)}


def record(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str = "",
    customer_id: str | None = None,
    address: str = "",
    detail: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(audit_log).values(
            at=at,
            actor=actor[:400],
            customer_id=customer_id,
            address=address[:64],
            action=action,
            target=target[:200],
            detail=_without_secrets(detail or {}),
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    customer_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


def entries(conn: Connection, wanted: AuditFilter = AuditFilter()) -> list[AuditEntry]:
    """Newest first, narrowed by each filter given."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(wanted.limit)
    if wanted.actor:
        query = query.where(audit_log.c.actor == wanted.actor)
    if wanted.action:
        query = query.where(audit_log.c.action == wanted.action)
    if wanted.customer_id:
        query = query.where(audit_log.c.customer_id == wanted.customer_id)
    if wanted.since:
        query = query.where(audit_log.c.at >= wanted.since)
    if wanted.until:
        query = query.where(audit_log.c.at < wanted.until)
    return [
        AuditEntry(r.id, r.at, r.actor, r.customer_id, r.address, r.action, r.target, r.detail)
        for r in conn.execute(query)
    ]
