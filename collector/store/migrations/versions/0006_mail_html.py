"""outbox: the HTML part of a mail, sent alongside its plain text

Revision ID: 0006_mail_html
Revises: 0006_totp_replay
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_mail_html"
down_revision = "0006_totp_replay"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, nullable: mail written before it keeps its one plain-text part.
    op.add_column("outbox", sa.Column("html", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "html")
