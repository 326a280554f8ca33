"""incidents: the parts lifecycle (confirmed, dispatched, delivered, returned); target_alerts:
warning and breach mail sent per target

Revision ID: 0005_lifecycle_targets
Revises: 0004_announced_days
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from collector.store.columns import UtcDateTime

revision = "0005_lifecycle_targets"
down_revision = "0004_announced_days"
branch_labels = None
depends_on = None

_MOMENTS = ("failure_confirmed_at", "parts_dispatched_at", "parts_delivered_at", "part_returned_at")


def upgrade() -> None:
    for name in _MOMENTS:  # plain ADD COLUMN: a SQLite batch would rebuild (and cascade) incidents
        op.add_column("incidents", sa.Column(name, UtcDateTime(), nullable=True))
    op.create_table(
        "target_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_target_alerts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_alerts")),
        sa.UniqueConstraint("incident_id", "target", "kind", name="uq_target_alerts_incident_id"),
    )


def downgrade() -> None:
    op.drop_table("target_alerts")
    for name in reversed(_MOMENTS):
        op.drop_column("incidents", name)
