"""The database schema (SQLAlchemy Core). Changes go through a migration in ``migrations/``.

All timestamps are UTC. SQLite has no time zone type, so ``UtcDateTime`` stores naive UTC and
hands back aware UTC datetimes on both databases.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PackedJSON(TypeDecorator[Any]):
    """JSON stored zlib-compressed: a report's body is the biggest thing the collector keeps,
    and its keys repeat in every one (a third of the size, or less).

    Reads what is stored in any form: compressed bytes; bytes of plain JSON (PostgreSQL rows
    from before, whose column was converted); text (SQLite rows from before). A zlib stream
    starts with ``x``, JSON with ``{``, so the two never mix up.
    """

    impl = LargeBinary
    cache_ok = True

    @staticmethod
    def pack_text(text: str) -> bytes:
        """A body already encoded as JSON (as the agent sent it), packed without decoding."""
        return zlib.compress(text.encode(), 6)

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return self.pack_text(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or isinstance(value, dict | list):
            return value
        if isinstance(value, str):
            return json.loads(value)
        data = bytes(value)
        return json.loads(zlib.decompress(data) if data[:1] == b"x" else data)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

customers = Table(
    "customers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # "on_request": the customer gives remote access only when asked (None: always given).
    Column("access", String(16), nullable=True),
    # The customer's wall clock (IANA name; None: the tier's) and region for parts logistics.
    Column("timezone", String(64), nullable=True),
    Column("region", String(32), nullable=True),
    # Set by ``customer remove --force`` while history refers to it: gone from every list,
    # page and job; its faults and incidents stay readable.
    Column("archived_at", UtcDateTime, nullable=True),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    UniqueConstraint("customer_id", "email"),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("tier", String(64), nullable=False),
    Column("starts_on", UtcDateTime, nullable=False),
    Column("ends_on", UtcDateTime, nullable=True),
    Column("ports", Integer, nullable=False, default=0),
    Column("note", Text, nullable=False, default=""),
    Index("ix_contracts_customer", "customer_id", "starts_on"),
)

hosts = Table(
    "hosts",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False, default="server"),
    # The shared HMAC key the agent signs with. Shown once when created.
    Column("key", String(128), nullable=False),
    # The heartbeat's interval when set on the host; NULL: the agent's (agent_interval_s).
    Column("interval_s", Float, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=True),
    Column("last_seq", BigInteger, nullable=True),
    # "on_request" overrides the customer's access rule for this host (None: the customer's).
    Column("access", String(16), nullable=True),
    # The interval_s of the host's newest report: how often its agent says it reports.
    Column("agent_interval_s", Float, nullable=True),
    # Set by ``host remove --force`` (or its customer's) while history refers to it: no longer
    # listed, probed or evaluated; its faults and incidents stay readable.
    Column("archived_at", UtcDateTime, nullable=True),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("sampled_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("body", PackedJSON, nullable=False),
    # Set once the fault engine has evaluated the report; a crash leaves it for the next run.
    Column("processed_at", UtcDateTime, nullable=True),
    UniqueConstraint("host_id", "seq"),
    Index("ix_reports_unprocessed", "processed_at", "id"),
)

check_states = Table(
    "check_states",
    metadata,
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True),
    Column("check_key", String(200), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

faults = Table(
    "faults",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    # None for a fault about a whole customer site rather than one host.
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), nullable=True),
    Column("check_key", String(200), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("title", String(300), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("acknowledged_by", String(320), nullable=True),
    Column("ack_comment", Text, nullable=True),
    Column("ack_address", String(64), nullable=True),
    Column("last_notified_at", UtcDateTime, nullable=True),
    # The check key of the fault that explains this one (then it is recorded, not mailed).
    Column("suppressed_by", String(200), nullable=True),
    Column("flapping", Boolean, nullable=False, default=False),
    # The mail ledger (collector.domain.faults.FaultState): the severity the opening (or last
    # escalation) was mailed at, None while the opening is held back; and whether the recovery
    # mail went out. Resolved with an opening mailed and no recovery mailed: recovery owed.
    Column("notified_severity", String(16), nullable=True),
    Column("recovery_notified", Boolean, nullable=False, default=False),
    Index("ix_faults_open", "resolved_at", "customer_id", "host_id", "check_key"),
    # A host's faults of given checks (silence spans, the latest incident); faults still owing
    # their recovery mail (every sweep): without them both scan the whole history.
    Index("ix_faults_host_check", "host_id", "check_key", "opened_at"),
    Index("ix_faults_recovery_owed", "recovery_notified", "notified_severity"),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), nullable=True),
    # collector.domain.maintenance.MaintenanceWindow.to_json()
    Column("spec", JSON, nullable=False),
    Column("created_by", String(100), nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
)

fault_events = Table(
    "fault_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fault_id", ForeignKey("faults.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Index("ix_fault_events_fault", "fault_id", "at"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fault_id", ForeignKey("faults.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("tier", String(64), nullable=False),
    Column("covered", Boolean, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("response_due_at", UtcDateTime, nullable=True),
    # The tier's policy as it stood when the incident opened, so later catalogue edits
    # never move a promise already made.
    Column("policy", JSON, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    # Lifecycle moments (open → responded → on-site → resolved → closed); who did each is in
    # incident_events.
    Column("responded_at", UtcDateTime, nullable=True),
    Column("onsite_requested_at", UtcDateTime, nullable=True),
    Column("on_site_at", UtcDateTime, nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    # SLA mail already sent, so the sweep warns and reports a breach once each.
    Column("sla_warned_at", UtcDateTime, nullable=True),
    Column("sla_breached_at", UtcDateTime, nullable=True),
    # An on-call engineer took the page (a customer's acknowledgement never stops paging).
    Column("engineer_acknowledged_at", UtcDateTime, nullable=True),
    Column("engineer_acknowledged_by", String(100), nullable=True),
    # The parts lifecycle: the clocks of parts dispatch, delivery and return start and stop here.
    Column("failure_confirmed_at", UtcDateTime, nullable=True),
    Column("parts_dispatched_at", UtcDateTime, nullable=True),
    Column("parts_delivered_at", UtcDateTime, nullable=True),
    Column("part_returned_at", UtcDateTime, nullable=True),
    # Access given on request (customers with ``access: on_request``): the pause ends here.
    Column("access_granted_at", UtcDateTime, nullable=True),
    Column("access_granted_by", String(100), nullable=True),
    # Open incidents (the SLA and paging sweeps, the queue): the rest is history.
    Index("ix_incidents_open", "closed_at", "resolved_at"),
)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("actor", String(320), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
    # Shown to the customer in the portal with its words: their own comments and the vendor's
    # replies. Everything else (operators' notes) stays internal; see operations.customer_scope.
    Column("public", Boolean, nullable=False, default=False, server_default=false()),
    Index("ix_incident_events_incident", "incident_id", "at"),
)

incident_pauses = Table(
    "incident_pauses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    # "remote_access" (the collector cannot reach the host) or "waiting_on_customer".
    Column("reason", String(40), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=True),
    Index("ix_incident_pauses_incident", "incident_id", "starts_at"),
)

pages = Table(
    "pages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # "page", "repage" or "escalate"
    Column("kind", String(16), nullable=False),
    Column("person", String(100), nullable=False),
    Column("target", String(400), nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("last_error", Text, nullable=True),
    Index("ix_pages_incident", "incident_id", "at"),
)

host_checks = Table(
    "host_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False),
    # "ssh", "http", "sip" or "tcp"; name tells two checks of one kind apart ("" for one).
    Column("kind", String(16), nullable=False),
    Column("name", String(100), nullable=False, default=""),
    Column("target", String(500), nullable=False),
    Column("options", JSON, nullable=False),
    Column("interval_s", Float, nullable=False, default=60.0),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
    # A failing remote-access check means the customer withholds access (pauses SLA clocks);
    # None: the default for its kind (collector.domain.access).
    Column("remote_access", Boolean, nullable=True),
    UniqueConstraint("host_id", "kind", "name"),
)

target_alerts = Table(
    "target_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    # A target other than first response (whose mail the incidents row records), and
    # "warning" or "breach": each mailed once, claimed by inserting this row.
    Column("target", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("incident_id", "target", "kind"),
)

calendar_announcements = Table(
    "calendar_announcements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # A calendar's name in the tier catalogue (e.g. uk-office) and a local date, ISO 8601.
    Column("calendar", String(64), nullable=False),
    Column("day", String(10), nullable=False),
    # The hours kept that day, ["09:00-12:00"]; empty: closed.
    Column("hours", JSON, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("announced_by", String(100), nullable=False),
    Column("announced_at", UtcDateTime, nullable=False),
    Column("withdrawn_at", UtcDateTime, nullable=True),
    Column("withdrawn_by", String(100), nullable=True),
    Index("ix_calendar_announcements_live", "withdrawn_at", "calendar"),
)

vendor_outages = Table(
    "vendor_outages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("cause", Text, nullable=False),
)

probe_results = Table(
    "probe_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("check_id", ForeignKey("host_checks.id", ondelete="CASCADE"), nullable=False),
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("latency_ms", Float, nullable=True),
    Column("detail", Text, nullable=False, default=""),
    Column("data", JSON, nullable=False),
    Index("ix_probe_results_check", "check_id", "at"),
    Index("ix_probe_results_host", "host_id", "at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("fault_id", ForeignKey("faults.id", ondelete="SET NULL"), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("body", Text, nullable=False),
    Column("html", Text, nullable=True),  # the HTML part, when the mail has one
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("sent_at", UtcDateTime, nullable=True),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)

operators = Table(
    "operators",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # "admin" (everything) or "operator" (everything but operators and tokens).
    Column("role", String(16), nullable=False, default="admin", server_default="admin"),
    # A TOTP secret (base32) once the operator turned on a second factor.
    Column("totp_secret", String(64), nullable=True),
    # The newest TOTP time step used to sign in: a code is accepted once, never again.
    Column("totp_last_step", BigInteger, nullable=True),
    # The IANA zone this operator reads times in; None: the vendor's (dashboard.timezone).
    Column("timezone", String(64), nullable=True),
)


def _token_table(name: str, owner_column: str, owners: str) -> Table:
    """Bearer tokens of one kind of account: only each token's SHA-256 is stored, the token
    itself is shown once."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(owner_column, ForeignKey(f"{owners}.id", ondelete="CASCADE"), nullable=False),
        Column("name", String(100), nullable=False),
        Column("token_sha256", String(64), nullable=False, unique=True),
        Column("created_at", UtcDateTime, nullable=False),
    )


api_tokens = _token_table("api_tokens", "operator_id", "operators")


customer_users = Table(
    "customer_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    # "customer-admin" (also manages its organisation's users and contacts) or "customer".
    Column("role", String(16), nullable=False),
    # None until the person sets a password through their emailed link.
    Column("password_hash", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_customer_users_customer", "customer_id"),
)

customer_api_tokens = _token_table("customer_api_tokens", "user_id", "customer_users")

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # SHA-256 of the random session secret the cookie carries: a copied database holds none.
    Column("secret_sha256", String(64), nullable=False, unique=True),
    # "operator" or "customer": which table account_id points into.
    Column("account_kind", String(16), nullable=False),
    Column("account_id", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("address", String(64), nullable=False, default=""),
    Index("ix_sessions_account", "account_kind", "account_id"),
)

password_links = Table(
    "password_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("customer_users.id", ondelete="CASCADE"), nullable=False),
    # "invite" or "reset"
    Column("purpose", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    # The name typed, lower-cased: throttles an account whether or not it exists.
    Column("account", String(320), nullable=False),
    Column("address", String(64), nullable=False),
    Index("ix_login_failures_account", "account", "at"),
    Index("ix_login_failures_address", "address", "at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    # Who: "operator:olga", "customer:pat@acme.example", "link:pat@acme.example", or a name
    # typed at a failed login. Never a password or a token.
    Column("actor", String(400), nullable=False),
    # The customer whose data the action touched, or None for the vendor's own.
    Column("customer_id", String(64), nullable=True),
    Column("address", String(64), nullable=False, default=""),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_customer", "customer_id", "at"),
)

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
