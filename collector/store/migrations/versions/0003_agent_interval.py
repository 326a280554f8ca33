"""hosts: the reporting interval the agent reports, and the host's own setting made optional

``hosts.agent_interval_s`` is the ``interval_s`` of the host's newest report. ``hosts.interval_s``
becomes an override: NULL (the new default) means the heartbeat follows the agent. A host left
at the former default of 60 s never chose it, so it follows its agent from now on; any other
value was set on purpose and still applies.

Revision ID: 0003_agent_interval
Revises: 0005_lifecycle_targets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_agent_interval"
down_revision = "0005_lifecycle_targets"
branch_labels = None
depends_on = None

_FORMER_DEFAULT_S = 60.0
_hosts = sa.table("hosts", sa.column("interval_s", sa.Float))


def upgrade() -> None:
    with op.batch_alter_table("hosts") as batch:
        batch.add_column(sa.Column("agent_interval_s", sa.Float, nullable=True))
        batch.alter_column("interval_s", existing_type=sa.Float, nullable=True)
    op.execute(
        _hosts.update().where(_hosts.c.interval_s == _FORMER_DEFAULT_S).values(interval_s=None)
    )


def downgrade() -> None:
    op.execute(
        _hosts.update().where(_hosts.c.interval_s.is_(None)).values(interval_s=_FORMER_DEFAULT_S)
    )
    with op.batch_alter_table("hosts") as batch:
        batch.alter_column("interval_s", existing_type=sa.Float, nullable=False)
        batch.drop_column("agent_interval_s")
