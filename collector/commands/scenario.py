"""The ``simulate`` scenario file: customers, hosts and a timeline of events, validated whole
before anything runs. A refusal names the file, the event's index and the field."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from collector.commands.simulated_reports import key_problem
from collector.config.settings import ConfigError, describe_errors, load_yaml
from collector.operations.incidents import ACTIONS

Status = Literal["ok", "warning", "critical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerSpec(_Strict):
    id: str = Field(min_length=1, max_length=64)
    tier: str
    name: str | None = None
    timezone: str | None = None
    region: Literal["north_america", "other"] | None = None
    access: Literal["always", "on_request"] | None = None
    installed_on: date | None = None


class CheckSpec(_Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["ssh", "http", "sip", "tcp"]
    remote_access: bool | None = None


class HostSpec(_Strict):
    id: str = Field(min_length=1, max_length=128)
    customer: str
    kind: Literal["server", "pbx"] = "server"
    interval_s: float = Field(60.0, gt=0)
    access: Literal["always", "on_request"] | None = None
    checks: list[CheckSpec] = []


class AnnounceSpec(_Strict):
    calendar: str
    date: date
    closed: bool = True
    hours: list[str] = []
    reason: str = Field(min_length=1)


class Event(_Strict):
    at: datetime
    host: str | None = None
    agent: Literal["silent", "reporting"] | None = None
    check: str | None = None
    probe: str | None = None
    status: Status | None = None
    detail: str = ""
    step: str | None = None
    by: str = "simulator"
    note: str = ""
    force: bool = False
    announce: AnnounceSpec | None = None

    @model_validator(mode="after")
    def _one_thing(self) -> Event:
        said = [k for k in ("agent", "check", "probe", "step", "announce") if getattr(self, k)]
        if len(said) != 1:
            raise ValueError("an event is one of agent, check, probe, step or announce")
        if (self.check or self.probe) and self.status is None:
            raise ValueError("a check or probe event needs a status")
        if self.announce is None and self.host is None:
            raise ValueError("this event needs a host")
        if self.at.tzinfo is None:
            raise ValueError("times need a zone: end them with Z")
        return self


class Scenario(_Strict):
    start: datetime
    end: datetime
    customers: list[CustomerSpec]
    hosts: list[HostSpec]
    events: list[Event] = []


class ScenarioError(ValueError):
    """The scenario cannot run; the message names the file, the place and the field."""


def read_scenario(path: Path, tiers: frozenset[str], calendars: frozenset[str]) -> Scenario:
    data, node = load_yaml(path)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(describe_errors(path, node, exc)) from None
    except ConfigError as exc:
        raise ScenarioError(str(exc)) from None
    problem = _consistency(scenario, tiers) or _events(scenario, calendars)
    if problem:
        raise ScenarioError(f"{path}: {problem}")
    return scenario


def _consistency(scenario: Scenario, tiers: frozenset[str]) -> str | None:
    if scenario.end <= scenario.start:
        return "end: must be after start"
    customers = {c.id for c in scenario.customers}
    for index, customer in enumerate(scenario.customers):
        if customer.tier not in tiers:
            return f"customers.{index}.tier: unknown tier {customer.tier!r}"
    checks = {}
    for index, host in enumerate(scenario.hosts):
        if host.customer not in customers:
            return f"hosts.{index}.customer: unknown customer {host.customer!r}"
        checks[host.id] = {check.name for check in host.checks}
    last = scenario.start
    for index, event in enumerate(scenario.events):
        if not scenario.start <= event.at <= scenario.end:
            return f"events.{index}.at: outside start..end"
        if event.at < last:
            return f"events.{index}.at: events must be in time order"
        last = event.at
        if event.host is not None and event.host not in checks:
            return f"events.{index}.host: unknown host {event.host!r}"
        if event.check is not None and event.check not in checks[event.host or ""]:
            return f"events.{index}.check: host {event.host!r} has no check {event.check!r}"
    return None


def _events(scenario: Scenario, calendars: frozenset[str]) -> str | None:
    """What each event names exists: an agent-reported key with that status, an incident
    action, a calendar."""
    for index, event in enumerate(scenario.events):
        problem = key_problem(event.probe, event.status or "ok") if event.probe else None
        if problem:
            return f"events.{index}.probe: {problem}"
        if event.step is not None and event.step not in ACTIONS:
            return (
                f"events.{index}.step: unknown action {event.step!r}; one of {', '.join(ACTIONS)}"
            )
        if event.announce is not None and event.announce.calendar not in calendars:
            name, names = event.announce.calendar, ", ".join(sorted(calendars))
            return f"events.{index}.announce.calendar: unknown calendar {name!r}; one of {names}"
    return None
