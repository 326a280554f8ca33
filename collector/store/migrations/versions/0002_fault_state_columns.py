"""faults: one truth per fact — the mail ledger in columns, no engine_state copy

The faults row held the fault engine's state twice: as columns (severity, detail, resolved_at,
last_notified_at, suppressed_by, flapping) and as the ``engine_state`` JSON, plus
``recovery_owed`` derived from the JSON's ledger. The two ledger facts only the JSON held
(``notified_severity``, ``recovery_notified``) become columns, filled from each row's JSON, and
the copies go.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from collector.store.columns import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_STATE = (
    "customer_id", "host_id", "check_key", "severity", "opened_at", "detail", "flapping",
    "resolved_at", "acknowledged_at", "suppressed_by", "notified_severity", "last_notified_at",
    "recovery_notified",
)  # fmt: skip
_TIMES = ("opened_at", "resolved_at", "acknowledged_at", "last_notified_at")
_faults = sa.table(
    "faults",
    sa.column("id", sa.Integer),
    sa.column("engine_state", sa.JSON),
    sa.column("recovery_owed", sa.Boolean),
    *(sa.column(name, UtcDateTime if name in _TIMES else None) for name in _STATE),
)


def _ledger(engine_state: Any) -> dict[str, Any]:
    data = json.loads(engine_state) if isinstance(engine_state, str) else engine_state
    return {
        "notified_severity": data.get("notified_severity"),
        "recovery_notified": bool(data.get("recovery_notified", False)),
    }


def upgrade() -> None:
    with op.batch_alter_table("faults") as batch:
        batch.add_column(sa.Column("notified_severity", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("recovery_notified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    conn = op.get_bind()
    for fault_id, engine_state in conn.execute(sa.select(_faults.c.id, _faults.c.engine_state)):
        conn.execute(
            _faults.update().where(_faults.c.id == fault_id).values(**_ledger(engine_state))
        )
    with op.batch_alter_table("faults") as batch:
        batch.alter_column("recovery_notified", server_default=None)
        batch.drop_column("engine_state")
        batch.drop_column("recovery_owed")


def _engine_state(row: Any) -> dict[str, Any]:
    """The 0001 JSON, rebuilt from the columns (times as the engine wrote them: ISO 8601)."""

    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(UTC).isoformat()

    return {
        "key": {"customer_id": row.customer_id, "host_id": row.host_id, "check": row.check_key},
        "severity": row.severity,
        "opened_at": iso(row.opened_at),
        "detail": row.detail,
        "flapping": bool(row.flapping),
        "resolved_at": iso(row.resolved_at),
        "acknowledged_at": iso(row.acknowledged_at),
        "suppressed_by": row.suppressed_by,
        "notified_severity": row.notified_severity,
        "last_notified_at": iso(row.last_notified_at),
        "recovery_notified": bool(row.recovery_notified),
    }


def downgrade() -> None:
    with op.batch_alter_table("faults") as batch:
        batch.add_column(sa.Column("engine_state", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("recovery_owed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    conn = op.get_bind()
    query = sa.select(_faults.c.id, *(_faults.c[name] for name in _STATE))
    for row in conn.execute(query).all():
        owed = row.resolved_at is not None and row.notified_severity and not row.recovery_notified
        conn.execute(
            _faults.update()
            .where(_faults.c.id == row.id)
            .values(engine_state=_engine_state(row), recovery_owed=bool(owed))
        )
    with op.batch_alter_table("faults") as batch:
        batch.alter_column("engine_state", nullable=False)
        batch.alter_column("recovery_owed", server_default=None)
        batch.drop_column("recovery_notified")
        batch.drop_column("notified_severity")
