"""indexes for the queries every sweep and incident clock runs: a host's faults by check key
(silence spans, the latest open incident), faults still owing a recovery mail, open incidents

Revision ID: 0007_sim_indexes
Revises: 0006_zones_archive
"""

from __future__ import annotations

from alembic import op

revision = "0007_sim_indexes"
down_revision = "0006_zones_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_faults_host_check", "faults", ["host_id", "check_key", "opened_at"])
    op.create_index("ix_faults_recovery_owed", "faults", ["recovery_notified", "notified_severity"])
    op.create_index("ix_incidents_open", "incidents", ["closed_at", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_open", table_name="incidents")
    op.drop_index("ix_faults_recovery_owed", table_name="faults")
    op.drop_index("ix_faults_host_check", table_name="faults")
