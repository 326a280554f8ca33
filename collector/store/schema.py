"""The database schema (SQLAlchemy Core). Changes go through a migration in ``migrations/``.

Customers, hosts, reports, faults, incidents and the outbox are declared here; the people's
tables in ``people_schema``, SNMP and time series in ``telemetry_schema``; all of them on the
one ``metadata`` of ``columns``, which this module makes whole by importing the other two.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

# Imported for their tables: ``metadata`` holds every table once this module is loaded.
from collector.store import people_schema, telemetry_schema  # noqa: F401
from collector.store.columns import PackedJSON, UtcDateTime, metadata

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
    # A customer's hosts are read whenever one of their faults is decided and on every portal
    # page; without it each read scans the whole fleet.
    Index("ix_hosts_customer", "customer_id"),
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
