"""operators: the newest TOTP time step used, so a second-factor code signs in once only

Revision ID: 0006_totp_replay
Revises: 0003_series
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_totp_replay"
down_revision = "0003_series"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("totp_last_step")
