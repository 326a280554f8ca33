"""Notes on a write: its listeners hear of it once it has committed, never when it rolled back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, insert

from collector.store.database import Database, note
from collector.store.schema import customers

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


class Refused(Exception):
    pass


def _noting(conn: Connection, *, fail: bool) -> str:
    conn.execute(insert(customers).values(id="acme", name="Acme Ltd", created_at=NOW))
    note(conn, "outbox.queued")
    if fail:
        raise Refused
    return "done"


async def test_it_tells_listeners_only_after_a_commit(db: Database) -> None:
    heard: list[str] = []
    db.on_commit("outbox.queued", lambda: heard.append("queued"))
    db.on_commit("something.else", lambda: heard.append("else"))

    with pytest.raises(Refused):
        await db.write(_noting, fail=True)
    assert heard == []
    # The failed transaction's note is not carried into the next one on the same connection.
    assert await db.write(lambda conn: "quiet") == "quiet"
    assert heard == []

    assert await db.write(_noting, fail=False) == "done"
    assert heard == ["queued"]
