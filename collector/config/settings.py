"""The collector's configuration: one YAML file, validated in one place.

Every setting the service reads comes from here; nothing else reads the environment. An
invalid file stops start-up with the file, the line when known, and the field named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from collector.config.oncall import OnCallSettings
from collector.config.snmp import SnmpSettings
from collector.domain.mailboxes import one_mailbox


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names file and field."""


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
#: A host name: dot-separated labels of letters, digits and inner hyphens.
DOMAIN_PATTERN = rf"^{_LABEL}(?:\.{_LABEL})*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_mailbox(value: str) -> str:
    try:
        one_mailbox(value)
    except ValueError as exc:
        raise ValueError(f"must be one email address, like ops@vendor.example: {exc}") from None
    return value


#: An address every mail carries in a header: ``ops@vendor.example`` or ``Ops <ops@...>``.
Mailbox = Annotated[str, AfterValidator(_one_mailbox)]


class HttpSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    #: The address customers' browsers reach the collector at; used in emailed links.
    public_url: str = "http://127.0.0.1:8080"
    #: Sessions and cookies are marked Secure: turn off only for plain-HTTP local use.
    secure_cookies: bool = True
    #: Reverse proxies (their addresses) whose X-Forwarded-For names the client: sign-in
    #: throttling and the audit log then see the client, not the proxy.
    trusted_proxies: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    #: Sign-in password checks (argon2) in flight at once; past it a sign-in gets 429 at once.
    password_checks_at_once: int = Field(8, ge=0, le=1000)
    #: A connection whose request headers are not all in this long after it opened (or after
    #: its previous answer) is closed; so is one whose body is not all in this long after its
    #: headers. Slow clients must not hold connections (and file descriptors) for minutes.
    header_timeout_s: float = Field(10.0, gt=0, le=300)
    body_timeout_s: float = Field(30.0, gt=0, le=600)
    #: Connections open at once; the next is answered 503 and closed. Keep it well under the
    #: unit's LimitNOFILE (65536), which the database, SMTP and probes share.
    max_connections: int = Field(4096, ge=1, le=60000)


class DatabaseSettings(_Strict):
    #: SQLAlchemy URL: ``sqlite:///var/faultdesk.db`` or ``postgresql+psycopg://user@host/db``.
    url: str = "sqlite:///var/faultdesk.db"
    #: PostgreSQL with several collectors: how often one that does not run the schedules asks
    #: to take them over, and how often the one that does checks it still can (seconds).
    leader_retry_s: float = Field(5.0, gt=0, le=300)


class SmtpSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    username: str | None = None
    password_file: Path | None = None
    starttls: bool = False
    use_tls: bool = False
    timeout_s: float = Field(30.0, gt=0)
    #: The From address of every message (``faultdesk@vendor.example`` or ``Name <...>``).
    sender: Mailbox = "faultdesk@localhost"


class MailSettings(_Strict):
    #: The vendor's name, as fault mails introduce it ("Acme Telecom has found a fault").
    vendor_name: str = Field(
        "Faultdesk", min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"
    )
    #: The vendor's network operations centre: gets every fault, 24/7.
    noc: Mailbox = "noc@localhost"
    #: The vendor's sales contact: told about faults on hosts with no contract.
    sales: Mailbox = "sales@localhost"
    max_attempts: int = Field(8, ge=1)
    retry_base_s: float = Field(30.0, gt=0)
    reminder_interval_s: float = Field(4 * 3600.0, gt=0)
    #: How often the sender looks for due messages.
    send_interval_s: float = Field(2.0, gt=0)
    #: How long an emailed acknowledgement link stays valid.
    ack_link_ttl_s: float = Field(7 * 24 * 3600.0, gt=0)
    #: Warn the NOC once this fraction of a first-response target's working time has elapsed
    #: with no response recorded; a second mail goes when it is missed.
    sla_warning_fraction: float = Field(0.75, gt=0, le=1)
    #: The right-hand side of every Message-ID (``<outbox-ROW.CREATED@domain>``); None: the
    #: host name of ``http.public_url``.
    message_id_domain: str | None = Field(None, pattern=DOMAIN_PATTERN, max_length=253)


class MonitoringSettings(_Strict):
    heartbeat_missed_intervals: int = Field(3, ge=1)
    sweep_interval_s: float = Field(15.0, gt=0)
    disk_warning_percent: float = Field(85.0, gt=0, le=100)
    disk_critical_percent: float = Field(95.0, gt=0, le=100)
    # Access lost by this many customers at once is the vendor's own network: no clock pauses.
    vendor_network_customers: int = Field(3, ge=2)
    # Hosts on the vendor's side (their remote checks) whose failure means the same.
    vendor_canary_hosts: list[str] = Field(default_factory=list)
    #: A report raising more new problems than this opens one "Many problems" fault listing
    #: them, not one fault (and mail) each.
    many_problems_at_once: int = Field(20, ge=1)


class ProbeSettings(_Strict):
    """Remote checks run from the collector (SSH, HTTP, SIP, TCP), per host."""

    #: Checks probing at the same moment; the rest wait their turn.
    max_concurrency: int = Field(100, ge=1)
    #: Interval of a check that does not set its own.
    default_interval_s: float = Field(60.0, gt=0)
    #: Each run is moved by up to this many seconds so checks do not all fire together.
    jitter_s: float = Field(10.0, ge=0)
    #: Stored results older than this are deleted.
    results_retention_days: float = Field(14.0, gt=0)
    #: Probe worker processes sharing max_concurrency. None (auto): one per CPU once there
    #: are enough enabled checks to need them (see collector.jobs.probe_scheduler), else none;
    #: 0: probes run in the collector's own process.
    workers: int | None = Field(None, ge=0)


class PortalSettings(_Strict):
    #: Shown to customers on their contract page: "Support line: +44 20 7946 0000".
    support_phones: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=10
    )


class DashboardSettings(_Strict):
    #: The vendor's IANA zone, e.g. Europe/London: operators who chose none of their own see
    #: the dashboard's times in it (UTC on hover).
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone, e.g. Europe/London") from None
        return value


class HistorySettings(_Strict):
    """How long reports and host figures are kept (``collector.jobs.retention`` prunes)."""

    #: Raw reports are deleted this long after they arrived, once evaluated (a host's newest
    #: report is kept whatever its age: it is what the host's page shows).
    reports_retention_days: float = Field(7.0, gt=0)
    #: Every sample of every figure, as reported.
    raw_retention_hours: float = Field(48.0, gt=0)
    #: Five-minute buckets (lowest, average, highest): the 7-day graph's, and a day more for a
    #: range starting just before. Older ranges are answered hourly (a 30-day range at five
    #: minutes would be 8,640 points a figure, more than any graph draws).
    five_minute_retention_days: float = Field(8.0, gt=0)
    #: Hourly buckets: 13 months, so a month compares with the same month a year before.
    hourly_retention_days: float = Field(396.0, gt=0)
    #: How often the leader prunes, and how many rows (reports) or series one transaction
    #: prunes: small transactions, so ingest's commits never wait long behind them.
    prune_interval_s: float = Field(300.0, gt=0)
    prune_batch: int = Field(1000, ge=1)


class CollectorConfig(_Strict):
    #: Signs acknowledgement links and session cookies. Keep it secret; rotate by restarting.
    secret_key: str = Field(min_length=16)
    http: HttpSettings = HttpSettings()
    database: DatabaseSettings = DatabaseSettings()
    smtp: SmtpSettings = SmtpSettings()
    mail: MailSettings = MailSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    #: The on-call rota paged for critical incidents on paging tiers.
    oncall: OnCallSettings = OnCallSettings()
    probes: ProbeSettings = ProbeSettings()
    portal: PortalSettings = PortalSettings()
    #: SNMP traps received and hosts polled (phone systems that cannot run the agent).
    snmp: SnmpSettings = SnmpSettings()
    history: HistorySettings = HistorySettings()
    dashboard: DashboardSettings = DashboardSettings()
    #: Tier catalogue; the one shipped in config/ when not set.
    tiers_file: Path | None = None
    #: Which check's fault explains which (config/dependencies.yaml); the shipped one when
    #: not set.
    dependencies_file: Path | None = None
    #: Customers and hosts to load at start (the demo uses one); optional.
    inventory_file: Path | None = None

    @field_validator("secret_key")
    @classmethod
    def _not_the_example(cls, value: str) -> str:
        if value.startswith("CHANGE-ME"):
            raise ValueError("replace the example secret_key with a random string")
        return value


#: libyaml's parser when PyYAML was built with it: tens of times faster than the pure-Python
#: one on a large file (a week's simulation scenario), with the same results and line marks.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse YAML, keeping the node tree so errors can point at a line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    loader = _SAFE_LOADER(text)
    try:
        # Parsed once: the data is built from the very node tree that is kept.
        node = loader.get_single_node()
        return (None if node is None else loader.construct_document(node)), node
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()


def line_of(node: yaml.Node | None, location: tuple[str | int, ...]) -> int | None:
    """1-based line of the value at ``location`` in a composed YAML tree, if found."""
    for part in location:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            break
    return node.start_mark.line + 1 if node is not None else None


def describe_errors(path: Path, node: yaml.Node | None, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "(top level)"
        line = line_of(node, tuple(error["loc"]))
        where = f"{path}:{line}" if line else str(path)
        lines.append(f"{where}: {field}: {error['msg']}")
    return "\n".join(lines)


def load_config(path: Path | str) -> CollectorConfig:
    """Read and validate the collector configuration, or raise ConfigError."""
    path = Path(path)
    data, node = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        config = CollectorConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(path, node, exc)) from None
    return _resolve_paths(config, path.parent)


def _resolve_paths(config: CollectorConfig, base: Path) -> CollectorConfig:
    """Relative file paths in the config are relative to the config file."""
    updates: dict[str, Any] = {}
    for name in ("tiers_file", "dependencies_file", "inventory_file"):
        value = getattr(config, name)
        if value is not None and not value.is_absolute():
            updates[name] = base / value
    return config.model_copy(update=updates)
