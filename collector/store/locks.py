"""One fault engine at a time per installation, across collectors sharing a PostgreSQL database.

Every collector evaluates the reports it receives, while the elected leader sweeps heartbeats
and stores probe results. Each of these reads check states, decides, and writes states and
faults back; two of them interleaving on one host could each decide from states the other is
about to overwrite (an open fault left with a check state that is not raised). A
transaction-level advisory lock taken first by each of them makes them take turns: it is
released by the commit or rollback, so nothing can leave it held.

Inside one collector the single writer thread already serialises them, and SQLite has one
writer at a time by design, so on SQLite this is a no-op. The lock is per schema, as the
leader's is, so installations (and test runs) in different schemas of one database do not
wait for each other.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_EVALUATION_LOCK = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('faultdesk.evaluation:' || current_schema(), 0))"
)


def hold_evaluation_lock(conn: Connection) -> None:
    """Wait for, then hold until this transaction ends, the right to change faults."""
    if conn.dialect.name == "postgresql":
        conn.execute(_EVALUATION_LOCK)
