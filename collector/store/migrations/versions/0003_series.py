"""host figures as time series: raw samples, 5-minute and hourly rollups

Adds tables only: every report stays (the retention job prunes them once the collector runs).

Revision ID: 0003_series
Revises: 0003_agent_interval
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_series"
down_revision = "0003_agent_interval"
branch_labels = None
depends_on = None

_ROLLUPS = ("series_5m", "series_1h")


def _series_key(table: str) -> list[Any]:
    return [
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f(f"fk_{table}_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", "at", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("host_id", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"], ["hosts.id"], name=op.f("fk_series_host_id_hosts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint("host_id", "metric", name=op.f("uq_series_host_id")),
    )
    op.create_table(
        "series_raw",
        *_series_key("series_raw"),
        sa.Column("value", sa.Float(), nullable=False),
        sqlite_with_rowid=False,
    )
    for table in _ROLLUPS:
        op.create_table(
            table,
            *_series_key(table),
            sa.Column("low", sa.Float(), nullable=False),
            sa.Column("high", sa.Float(), nullable=False),
            sa.Column("total", sa.Float(), nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sqlite_with_rowid=False,
        )


def downgrade() -> None:
    for table in (*_ROLLUPS, "series_raw", "series"):
        op.drop_table(table)
