"""SNMP: hosts' SNMP settings, received traps, each host's alarm status, and host events

Revision ID: 0003_snmp
Revises: 0003_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from collector.store.columns import UtcDateTime

revision = "0003_snmp"
down_revision = "0003_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "host_snmp",
        sa.Column(
            "host_id",
            sa.String(128),
            sa.ForeignKey("hosts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("version", sa.String(4), nullable=False),
        sa.Column("community", sa.String(200), nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("auth_protocol", sa.String(16), nullable=False),
        sa.Column("auth_key", sa.String(200), nullable=False),
        sa.Column("priv_protocol", sa.String(16), nullable=False),
        sa.Column("priv_key", sa.String(200), nullable=False),
        sa.Column("engine_id", sa.String(64), nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("host_id", name="pk_host_snmp"),
        sa.UniqueConstraint("address", name="uq_host_snmp_address"),
    )
    op.create_table(
        "snmp_traps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "host_id", sa.String(128), sa.ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("notification", sa.String(200), nullable=False),
        sa.Column("varbinds", sa.JSON, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("processed_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_snmp_traps"),
    )
    op.create_index("ix_snmp_traps_unprocessed", "snmp_traps", ["processed_at", "id"])
    op.create_table(
        "snmp_status",
        sa.Column(
            "host_id",
            sa.String(128),
            sa.ForeignKey("hosts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("level", sa.String(16), nullable=True),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("sys_descr", sa.Text, nullable=False),
        sa.Column("polled_at", UtcDateTime, nullable=True),
        sa.Column("poll_error", sa.Text, nullable=False),
        sa.Column("traps_total", sa.BigInteger, nullable=False),
        sa.Column("last_trap_at", UtcDateTime, nullable=True),
        sa.Column("restarted_at", UtcDateTime, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("host_id", name="pk_snmp_status"),
    )
    op.create_table(
        "host_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "host_id", sa.String(128), sa.ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_host_events"),
    )
    op.create_index("ix_host_events_host", "host_events", ["host_id", "at"])


def downgrade() -> None:
    op.drop_table("host_events")
    op.drop_table("snmp_status")
    op.drop_index("ix_snmp_traps_unprocessed", "snmp_traps")
    op.drop_table("snmp_traps")
    op.drop_table("host_snmp")
