"""Per-host check states: the fault engine's memory between observations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from collector.domain.checks import CheckState
from collector.store.schema import check_states


def load(
    conn: Connection, host_id: str, keys: Iterable[str] | None = None
) -> dict[str, CheckState]:
    query = select(check_states.c.check_key, check_states.c.state).where(
        check_states.c.host_id == host_id
    )
    if keys is not None:
        query = query.where(check_states.c.check_key.in_(list(keys)))
    return {key: CheckState.from_json(state) for key, state in conn.execute(query)}


def save(conn: Connection, host_id: str, states: Mapping[str, CheckState], now: datetime) -> None:
    """Insert or replace the given states in one statement."""
    if not states:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    rows = [
        {"host_id": host_id, "check_key": key, "state": state.to_json(), "updated_at": now}
        for key, state in states.items()
    ]
    statement = insert(check_states).values(rows)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["host_id", "check_key"],
            set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
        )
    )
