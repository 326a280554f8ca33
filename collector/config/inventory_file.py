"""Customers, contacts, contracts and hosts from a YAML file (the demo ships one).

Loading is idempotent: what exists is kept, what the file adds is created, contacts are
replaced by the file's list, and a host key given in the file is the key used. A host's
remote ``checks`` are matched by kind and name: the file's target, options and interval win.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import Connection, select, update

from collector.config.settings import ConfigError, describe_errors, load_yaml
from collector.config.snmp import HostSnmpEntry, IpAddress
from collector.domain.contracts import installation_contract, known_zone, start_of_day_utc
from collector.domain.control_characters import refuse_control_characters
from collector.domain.snmp_profiles import default_checks
from collector.probes.runner import parse_options
from collector.store import inventory
from collector.store import probe_results as probe_store
from collector.store import snmp as snmp_store
from collector.store.schema import contracts, hosts

#: Ids and names reach mail subjects and one line of the dashboard: no line breaks, no tabs.
Name = Annotated[str, AfterValidator(refuse_control_characters)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactEntry(_Strict):
    name: Name
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class ContractEntry(_Strict):
    tier: str
    starts_on: date
    ends_on: date | None = None
    ports: int = Field(0, ge=0)


class CheckEntry(BaseModel):
    """``{kind, name?, target, interval_s?, enabled?, <option>: value...}``; see probe_runner."""

    model_config = ConfigDict(extra="allow")  # the other keys are the probe's options
    kind: Literal["ssh", "http", "sip", "tcp"]
    name: Name = Field("", max_length=100)
    target: str = Field(min_length=1, max_length=500)
    interval_s: float | None = Field(None, gt=0)
    enabled: bool = True
    #: A failure means the customer withholds access (default: SSH and HTTP checks do).
    remote_access: bool | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The extra keys, or (also accepted) those of an ``options:`` mapping."""
        extra = dict(self.model_extra or {})
        nested = extra.pop("options", None)
        return {**nested, **extra} if isinstance(nested, dict) else extra

    @model_validator(mode="after")
    def _options_valid(self) -> CheckEntry:
        parse_options(self.kind, self.target, self.options)  # ValueError names the option
        return self


class HostEntry(_Strict):
    id: Name = Field(min_length=1, max_length=128)
    name: Name | None = None
    kind: str = "server"
    interval_s: float | None = Field(None, gt=0)
    key: str | None = Field(None, min_length=32)
    #: Its IP address and SNMP settings, for a system watched over SNMP (a Mitel).
    address: IpAddress | None = None
    snmp: HostSnmpEntry | None = None
    #: ``on_request``: access to this host is given only when asked (default: the customer's).
    access: Literal["always", "on_request"] | None = None
    checks: list[CheckEntry] = []

    @model_validator(mode="after")
    def _snmp_needs_address(self) -> HostEntry:
        if (self.snmp is None) != (self.address is None):
            raise ValueError("address and snmp settings go together (traps are matched by it)")
        return self

    @model_validator(mode="after")
    def _checks_distinct(self) -> HostEntry:
        seen = [(check.kind, check.name) for check in self.checks]
        if len(set(seen)) != len(seen):
            raise ValueError("two checks of one kind need different names")
        return self


class CustomerEntry(_Strict):
    id: Name = Field(min_length=1, max_length=64)
    name: Name
    contacts: list[ContactEntry] = []
    contract: ContractEntry | None = None
    access: Literal["always", "on_request"] | None = None
    timezone: str | None = Field(None, max_length=64)
    region: Literal["north_america", "other"] | None = None
    #: With no contract: the installation month of Cat1 counted from this day.
    installed_on: date | None = None
    hosts: list[HostEntry] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else known_zone(value)


class Inventory(_Strict):
    customers: list[CustomerEntry]


def read_inventory(path: Path) -> Inventory:
    data, node = load_yaml(path)
    try:
        return Inventory.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(path, node, exc)) from None


def load_inventory(
    conn: Connection, path: Path, now: datetime, *, default_interval_s: float = 60.0
) -> None:
    """Apply the inventory file to the database; checks without an interval get
    ``default_interval_s`` (the configuration's ``probes.default_interval_s``)."""
    for customer in read_inventory(path).customers:
        known = {c["id"] for c in inventory.list_customers(conn)}
        if customer.id not in known:
            inventory.add_customer(conn, customer.id, customer.name, now)
        inventory.set_customer_terms(
            conn, customer.id, access=customer.access, timezone=customer.timezone,
            region=customer.region,
        )  # fmt: skip
        inventory.set_contacts(conn, customer.id, [(c.name, c.email) for c in customer.contacts])
        contract = customer.contract or _installation(customer.installed_on)
        if contract is not None:
            _ensure_contract(conn, customer.id, contract, customer.timezone)
        for host in customer.hosts:
            _ensure_host(conn, customer.id, host, now)
            _ensure_snmp(conn, host, now, default_interval_s)
            for check in host.checks:
                _ensure_check(conn, host.id, check, now, default_interval_s)


def _installation(installed_on: date | None) -> ContractEntry | None:
    """Seed 002: every new installation includes a month of Cat1, from the day it went in."""
    if installed_on is None:
        return None
    tier, starts_on, ends_on = installation_contract(installed_on)
    return ContractEntry(tier=tier, starts_on=starts_on, ends_on=ends_on)


def _ensure_contract(
    conn: Connection, customer_id: str, entry: ContractEntry, zone: str | None
) -> None:
    starts = start_of_day_utc(entry.starts_on, zone)
    exists = conn.execute(
        select(contracts.c.id).where(
            contracts.c.customer_id == customer_id,
            contracts.c.tier == entry.tier,
            contracts.c.starts_on == starts,
        )
    ).first()
    if not exists:
        ends = start_of_day_utc(entry.ends_on, zone) if entry.ends_on else None
        inventory.add_contract(conn, customer_id, entry.tier, starts, ends, entry.ports)


def _ensure_host(conn: Connection, customer_id: str, entry: HostEntry, now: datetime) -> None:
    if conn.execute(select(hosts.c.id).where(hosts.c.id == entry.id)).first():
        if entry.key:
            conn.execute(update(hosts).where(hosts.c.id == entry.id).values(key=entry.key))
        return
    inventory.add_host(
        conn,
        entry.id,
        customer_id,
        now,
        name=entry.name,
        kind=entry.kind,
        interval_s=entry.interval_s,
        key=entry.key,
        access=entry.access,
    )


def _ensure_snmp(conn: Connection, entry: HostEntry, now: datetime, interval_s: float) -> None:
    if entry.snmp is None or entry.address is None:
        return
    if snmp_store.address_taken(conn, entry.address, entry.id):
        raise ConfigError(f"host {entry.id}: another host has the address {entry.address}")
    snmp_store.set_agent(conn, entry.snmp.agent(entry.id, entry.address))
    for kind, name, target in default_checks(entry.kind, entry.address):
        if probe_store.get_check_by_name(conn, entry.id, kind, name) is None:
            probe_store.add_check(conn, entry.id, kind, target, now, name=name,
                                  interval_s=interval_s)  # fmt: skip


def _ensure_check(
    conn: Connection, host_id: str, entry: CheckEntry, now: datetime, default_interval_s: float
) -> None:
    probe_store.add_check(
        conn,
        host_id,
        entry.kind,
        entry.target,
        now,
        name=entry.name,
        options=entry.options,
        interval_s=entry.interval_s or default_interval_s,
        enabled=entry.enabled,
        remote_access=entry.remote_access,
    )
