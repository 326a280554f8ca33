"""operators' display zones; archived customers and hosts; report bodies compressed

* ``operators.timezone``: the IANA zone an operator reads times in (None: the vendor's, from
  ``dashboard.timezone``).
* ``customers.archived_at`` / ``hosts.archived_at``: set by ``remove --force`` when history
  refers to them. An archived customer or host is out of the overview, the inventory, probing,
  evaluation and the portal; its faults and incidents stay readable.
* ``reports.body``: zlib-compressed JSON (``schema.PackedJSON``). Rows stored before stay as
  they are and are read as they are (retention replaces them within days): on SQLite nothing
  is rewritten (a column takes any type of value); on PostgreSQL the column becomes BYTEA
  holding the same JSON text.

Revision ID: 0006_zones_archive
Revises: 0006_mail_html
"""

from __future__ import annotations

import zlib
from typing import Any

import sqlalchemy as sa
from alembic import op

from collector.store.columns import UtcDateTime

revision = "0006_zones_archive"
down_revision = "0006_mail_html"
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
    if op.get_context().dialect.name == "postgresql":
        op.alter_column(
            "reports",
            "body",
            type_=sa.LargeBinary(),
            postgresql_using="convert_to(body::text, 'UTF8')",
        )


def downgrade() -> None:
    _unpack_bodies()
    if op.get_context().dialect.name == "postgresql":
        op.alter_column(
            "reports", "body", type_=sa.JSON(), postgresql_using="convert_from(body, 'UTF8')::json"
        )
    for table, column in reversed(_COLUMNS):
        op.drop_column(table, column.name)


def _unpack_bodies() -> None:
    """Compressed bodies back to JSON text (as bytes on PostgreSQL until the type changes)."""
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, body FROM reports WHERE id > :last ORDER BY id LIMIT 1000"),
            {"last": last},
        ).all()
        if not rows:
            return
        for report_id, body in rows:
            data = body.encode() if isinstance(body, str) else bytes(body)
            if data[:1] == b"x":
                text = zlib.decompress(data)
                value = text if postgres else text.decode()
                conn.execute(
                    sa.text("UPDATE reports SET body = :body WHERE id = :id"),
                    {"body": value, "id": report_id},
                )
        last = rows[-1][0]
