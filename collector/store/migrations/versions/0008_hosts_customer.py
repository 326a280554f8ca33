"""an index on hosts by customer: each fault decision reads its customer's hosts, and so does
every portal page; without it each read scans the whole fleet

Revision ID: 0008_hosts_customer
Revises: 0007_sim_indexes
"""

from __future__ import annotations

from alembic import op

revision = "0008_hosts_customer"
down_revision = "0007_sim_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_hosts_customer", "hosts", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_hosts_customer", table_name="hosts")
