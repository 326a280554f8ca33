"""calendar_announcements: days the vendor announces closed or on reduced hours

Revision ID: 0004_announced_days
Revises: 0003_clocks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from collector.store.columns import UtcDateTime

revision = "0004_announced_days"
down_revision = "0003_clocks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_announcements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("calendar", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("announced_by", sa.String(length=100), nullable=False),
        sa.Column("announced_at", UtcDateTime(), nullable=False),
        sa.Column("withdrawn_at", UtcDateTime(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_announcements")),
    )
    op.create_index(
        "ix_calendar_announcements_live", "calendar_announcements", ["withdrawn_at", "calendar"]
    )


def downgrade() -> None:
    op.drop_index("ix_calendar_announcements_live", table_name="calendar_announcements")
    op.drop_table("calendar_announcements")
