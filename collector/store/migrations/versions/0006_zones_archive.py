"""operators' display zones; archived customers and hosts

* ``operators.timezone``: the IANA zone an operator reads times in (None: the vendor's, from
  ``dashboard.timezone``).
* ``customers.archived_at`` / ``hosts.archived_at``: set by ``remove --force`` when history
  refers to them. An archived customer or host is out of the overview, the inventory, probing,
  evaluation and the portal; its faults and incidents stay readable.

Revision ID: 0006_zones_archive
Revises: 0003_series
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from collector.store.schema import UtcDateTime

revision = "0006_zones_archive"
down_revision = "0003_series"
branch_labels = None
depends_on = None

#: Plain ADD/DROP COLUMN, never batch mode: on SQLite a batch rebuilds the table, and dropping
#: customers or hosts to rebuild them would cascade-delete every row that refers to them.
_COLUMNS: tuple[tuple[str, sa.Column[Any]], ...] = (
    ("operators", sa.Column("timezone", sa.String(length=64), nullable=True)),
    ("customers", sa.Column("archived_at", UtcDateTime(), nullable=True)),
    ("hosts", sa.Column("archived_at", UtcDateTime(), nullable=True)),
)


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.add_column(table, column)


def downgrade() -> None:
    for table, column in reversed(_COLUMNS):
        op.drop_column(table, column.name)
