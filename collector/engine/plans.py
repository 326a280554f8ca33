"""What evaluating a batch of reports decided, before it is stored (``pipeline.plan_reports``
makes a plan, ``pipeline.apply_plan`` stores it if nothing it was made from changed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from collector.domain.figures import Counters
from collector.domain.watches import WatchState, WatchTransition
from collector.store import series as series_store
from collector.store.inventory import Host

States = dict[str, WatchState]


class Conflict(Exception):
    """Someone changed what a plan was computed from (claimed its reports, or saved one of its
    check states) before it was applied: roll back and plan again."""


@dataclass(frozen=True)
class Segment:
    """Check states to store, then the transitions one report made, to act on with those
    states (and every earlier segment's) in the database."""

    states: dict[str, States]  # host id → check key → state
    host: Host | None = None
    transitions: tuple[WatchTransition, ...] = ()


@dataclass(frozen=True)
class Plan:
    """A batch of reports evaluated against the check states as they were read."""

    now: datetime
    report_ids: list[int]
    report_keys: list[tuple[str, int]]  # (host id, seq) of each report
    #: The versions of the states the evaluation read, None for those that did not exist yet.
    depends_on: dict[tuple[str, str], str | None]
    segments: list[Segment]
    #: The reports' figures, stored with the plan; and each host's newest network counters.
    samples: list[series_store.Sample] = field(default_factory=list)
    counters: dict[str, Counters] = field(default_factory=dict)
