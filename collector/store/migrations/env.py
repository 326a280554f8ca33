"""Alembic environment: the engine comes from the caller (``collector.store.engines.migrate``).

On SQLite, altering a column rebuilds its table (batch mode): the old table is dropped, and
with foreign keys enforced that drop would cascade to every row referring to it. So foreign
keys are off while the migrations run (SQLite allows the switch only outside a transaction),
checked once they have, and on again before the connection goes back to the pool.
"""

from __future__ import annotations

from alembic import context

from collector.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection, target_metadata=metadata, render_as_batch=sqlite
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows with broken references: {broken}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
