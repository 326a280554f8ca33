"""What hosts tell besides faults: SNMP settings, traps and status of phone systems that cannot
run the agent, host events, and figures as time series. Declared on
``collector.store.columns.metadata``, with the rest of the schema (``collector.store.schema``)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from collector.store.columns import UtcDateTime, metadata

# --- SNMP: phone systems that cannot run the agent (Mitel) report by traps and are polled ---

host_snmp = Table(
    "host_snmp",
    metadata,
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True),
    # The address traps come from and polls go to; a trap is matched to its host by it.
    Column("address", String(64), nullable=False, unique=True),
    Column("version", String(4), nullable=False, default="2c"),  # "1", "2c" or "3"
    Column("community", String(200), nullable=False, default=""),
    # SNMPv3 USM: the user, its protocols and keys, and the sender's engine id (hex).
    Column("user", String(100), nullable=False, default=""),
    Column("auth_protocol", String(16), nullable=False, default=""),
    Column("auth_key", String(200), nullable=False, default=""),
    Column("priv_protocol", String(16), nullable=False, default=""),
    Column("priv_key", String(200), nullable=False, default=""),
    Column("engine_id", String(64), nullable=False, default=""),
    # Which trap and poll mapping reads this host ("mitel-3300", or one from the config).
    Column("profile", String(64), nullable=False),
    Column("port", Integer, nullable=False, default=161),
)

snmp_traps = Table(
    "snmp_traps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("notification", String(200), nullable=False),
    Column("varbinds", JSON, nullable=False),
    # Identical traps arriving together (a storm) are one row with how many came.
    Column("count", Integer, nullable=False, default=1),
    # Set once the leader has turned the trap into check states and events.
    Column("processed_at", UtcDateTime, nullable=True),
    Index("ix_snmp_traps_unprocessed", "processed_at", "id"),
)

snmp_status = Table(
    "snmp_status",
    metadata,
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True),
    Column("level", String(16), nullable=True),  # ok, minor, major, critical
    Column("categories", JSON, nullable=False),  # [{"name": ..., "level": ...}]
    Column("sys_descr", Text, nullable=False, default=""),
    Column("polled_at", UtcDateTime, nullable=True),
    Column("poll_error", Text, nullable=False, default=""),
    Column("traps_total", BigInteger, nullable=False, default=0),
    Column("last_trap_at", UtcDateTime, nullable=True),
    Column("restarted_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

host_events = Table(
    "host_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("count", Integer, nullable=False, default=1),
    Index("ix_host_events_host", "host_id", "at"),
)


# Host figures as time series (collector.domain.figures): one row per host and metric, and its
# samples at three resolutions. Times are Unix seconds (UTC) and the tables are keyed by
# (series, time) alone, without a rowid on SQLite: these are the biggest tables, and the key
# is the only way they are read.
series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False),
    Column("metric", String(300), nullable=False),
    UniqueConstraint("host_id", "metric"),
)

series_raw = Table(
    "series_raw",
    metadata,
    Column("series_id", ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    Column("at", BigInteger, primary_key=True, autoincrement=False),
    Column("value", Float, nullable=False),
    sqlite_with_rowid=False,
)


def _rollup_table(name: str) -> Table:
    """Buckets of one width: extremes, sum and count of the samples that fell in each."""
    return Table(
        name,
        metadata,
        Column("series_id", ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
        Column("at", BigInteger, primary_key=True, autoincrement=False),
        Column("low", Float, nullable=False),
        Column("high", Float, nullable=False),
        Column("total", Float, nullable=False),
        Column("count", Integer, nullable=False),
        sqlite_with_rowid=False,
    )


series_5m = _rollup_table("series_5m")
series_1h = _rollup_table("series_1h")
