"""contract clocks: access flags and grants, customers' zone and region, vendor outages

* ``host_checks.remote_access``: whether a failing check means the customer withholds access
  (None: the default for its kind, SSH and HTTP yes, anything else no).
* ``customers.access`` / ``hosts.access``: ``on_request`` when access is given only when asked
  (None: always given); ``incidents.access_granted_at`` records when it was.
* ``customers.timezone`` / ``customers.region``: the customer's wall clock and where parts go.
* ``vendor_outages``: the vendor's own network seen down, one row per episode, mailed once.

Revision ID: 0003_clocks
Revises: 0003_snmp
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from collector.store.columns import UtcDateTime

revision = "0003_clocks"
down_revision = "0003_snmp"
branch_labels = None
depends_on = None


#: Plain ADD/DROP COLUMN, never batch mode: on SQLite a batch rebuilds the table, and dropping
#: customers or hosts to rebuild them would cascade-delete every row that refers to them.
_COLUMNS: tuple[tuple[str, sa.Column[Any]], ...] = (
    ("host_checks", sa.Column("remote_access", sa.Boolean(), nullable=True)),
    ("hosts", sa.Column("access", sa.String(length=16), nullable=True)),
    ("customers", sa.Column("access", sa.String(length=16), nullable=True)),
    ("customers", sa.Column("timezone", sa.String(length=64), nullable=True)),
    ("customers", sa.Column("region", sa.String(length=32), nullable=True)),
    ("incidents", sa.Column("access_granted_at", UtcDateTime(), nullable=True)),
    ("incidents", sa.Column("access_granted_by", sa.String(length=100), nullable=True)),
)


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.add_column(table, column)
    op.create_table(
        "vendor_outages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_outages")),
    )


def downgrade() -> None:
    op.drop_table("vendor_outages")
    for table, column in reversed(_COLUMNS):
        op.drop_column(table, column.name)
