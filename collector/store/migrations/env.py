"""Alembic environment: the engine comes from the caller (``collector.store.engines.migrate``)."""

from __future__ import annotations

from alembic import context

from collector.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
