"""``faultdesk-collector simulate SCENARIO.yaml [--json]``: what would have happened.

A what-if and regression tool: the scenario (``collector.commands.scenario``) runs through the
real pipeline on a throwaway in-memory database with a simulated clock
(``collector.commands.simulation``); nothing is sent. Exit 2 for a scenario that cannot run,
naming the file, the place and the field; nothing is run then.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from collector.commands.console import Subparsers
from collector.commands.indented_json import indented_json
from collector.commands.scenario import ScenarioError, read_scenario
from collector.commands.service import config_or_none
from collector.commands.simulation import run
from collector.config.settings import CollectorConfig, load_yaml
from collector.config.shipped import shipped_file
from collector.config.tiers import catalogue_for
from collector.domain.sla import costly_pauses
from collector.engine.clock_facts import ClockFacts
from collector.engine.incident_clock import access_rules, incident_clocks
from collector.operations.announcements import known_calendars
from collector.store import incidents as incident_store
from collector.store.engines import make_engine, migrate
from collector.store.schema import faults, incident_events, incidents, outbox, pages

EXIT_SCENARIO = 2
#: Where the built-in rota's pagers point: nowhere, as nothing is sent.
SIMULATED_PAGERS = "pager.simulated"


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate", help="run a scenario through the pipeline on a simulated clock",
        description=__doc__,
    )  # fmt: skip
    parser.add_argument("scenario", type=Path, metavar="SCENARIO.yaml")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument(
        "--config", type=Path, metavar="FILE",
        help="take mail, oncall, monitoring and tiers_file from this collector configuration",
    )  # fmt: skip
    parser.set_defaults(func=simulate)


def _config(path: Path | None) -> CollectorConfig | None:
    """The given configuration; without one, the defaults with the shipped example's on-call
    rota (alice, bob, carol), each paged at NAME@pager.simulated, so a scenario shows who would
    have been paged. The configuration refuses the example's own pagers, rightly."""
    if path is not None:
        return config_or_none(path)
    example, _ = load_yaml(shipped_file("collector.example.yaml", "example configuration"))
    oncall = dict(example["oncall"])
    oncall["people"] = [
        {**person, "pager": {"email": f"{person['name']}@{SIMULATED_PAGERS}"}}
        for person in oncall["people"]
    ]
    return CollectorConfig.model_validate(
        {"secret_key": "simulated-collector-secret", "oncall": oncall}
    )


def simulate(args: argparse.Namespace) -> int:
    config = _config(args.config)
    if config is None:
        return EXIT_SCENARIO
    with _no_cycle_collection():
        try:
            catalogue = catalogue_for(config)
            calendars = frozenset(known_calendars(catalogue))
            scenario = read_scenario(args.scenario, frozenset(catalogue), calendars)
        except ScenarioError as exc:
            sys.stderr.write(f"faultdesk-collector: {exc}\n")
            return EXIT_SCENARIO
        logging.getLogger("alembic").setLevel(logging.WARNING)
        engine = make_engine("sqlite://")  # in memory: gone when the command ends
        try:
            migrate(engine)
            notes = run(engine, config, scenario)
            with engine.begin() as conn:
                outcome = outcome_json(conn, config, scenario.end)
        finally:
            engine.dispose()
    for note in notes:
        sys.stderr.write(f"faultdesk-collector: {args.scenario}: {note}\n")
    sys.stdout.write(indented_json(outcome) + "\n" if args.json else _text(outcome))
    return 0


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while the scenario is read, played and reported: a week
    of a fleet is hundreds of thousands of objects that live to the end (its events, then its
    outcome), which every full collection walks again, for about a second in all, while the
    cycles it leaves behind come to a few megabytes a week. On again after, for whatever runs
    next in this process (the tests call the command many times)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _moments() -> Callable[[datetime | None], str | None]:
    """Moments as the outcome writes them (UTC, to the second), each formatted once: an
    outcome names the same moments again and again (a stop's mails and timeline entries)."""
    made: dict[datetime, str] = {}

    def z(at: datetime | None) -> str | None:
        if at is None:
            return None
        text = made.get(at)
        if text is None:
            text = made[at] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return text

    return z


def outcome_json(conn: Connection, config: CollectorConfig, end: datetime) -> dict[str, Any]:
    """What happened, in the documented ``--json`` shape."""
    catalogue, rules, z = catalogue_for(config), access_rules(config), _moments()
    listed = incident_store.list_incidents(conn, open_only=False, limit=100_000)
    # Each kind of fact is read once for every incident, not once per incident.
    facts = ClockFacts.read(conn, [i for i in listed if i.covered], end, rules)
    keys = _grouped(conn.execute(_FAULT_KEYS))
    page_rows = _grouped(conn.execute(_PAGES))
    timelines = _grouped(conn.execute(_TIMELINES))
    found = []
    for incident in listed:
        # The clocks as ``explain_incident`` explains them, without the words: the due time
        # and the pauses that cost working time are all the outcome shows.
        clocks = incident_clocks(conn, incident, catalogue, end, rules, facts)
        targets = {}
        for name, clock in clocks.items():
            met = incident.met_at(name)
            # A target's clock stops when it is met, or when the incident is resolved (its
            # fault cleared, or by hand) without meeting it: missed only if due before that.
            stopped = met or incident.resolved_at or incident.closed_at or end
            breached = stopped > clock.due
            targets[name] = {"due": z(clock.due), "met_at": z(met), "breached": breached}
        first = clocks.get("first_response")
        paused = [
            {"from": z(p.start), "to": z(p.end), "reason": p.reason}
            for p in (costly_pauses(first) if first else ())
        ]
        found.append({
            "id": incident.id, "host": incident.host_id, "customer": incident.customer_id,
            "tier": incident.tier, "severity": incident.severity,
            "opened_at": z(incident.opened_at),
            "faults": [key for (key,) in keys.get(incident.fault_id, [])],
            "targets": targets, "paused": paused,
            "pages": [{"at": z(at), "to": to} for at, to in page_rows.get(incident.id, [])],
            "timeline": [
                {"at": z(at), "kind": kind, "by": by, "detail": detail}
                for at, kind, by, detail in timelines.get(incident.id, [])
            ],
        })  # fmt: skip
    return {
        "incidents": sorted(found, key=lambda i: i["id"]),
        "mails": [
            {"at": z(at), "kind": kind, "to": to, "subject": subject}
            for at, kind, to, subject in conn.execute(_MAILS)
        ],
    }


#: Every incident's fault key, pages and timeline (each keyed by its first column), each in
#: the order one incident's own read gives (pages by their index on incident and time,
#: timeline entries by time); and the mails, in the order queued.
_FAULT_KEYS = select(faults.c.id, faults.c.check_key).where(
    faults.c.id.in_(select(incidents.c.fault_id))
)
_PAGES = select(pages.c.incident_id, pages.c.at, pages.c.person).order_by(
    pages.c.incident_id, pages.c.at, pages.c.id
)
_TIMELINES = select(
    incident_events.c.incident_id,
    incident_events.c.at,
    incident_events.c.kind,
    incident_events.c.actor,
    incident_events.c.detail,
).order_by(incident_events.c.incident_id, incident_events.c.at, incident_events.c.id)
_MAILS = select(outbox.c.created_at, outbox.c.kind, outbox.c.recipient, outbox.c.subject).order_by(
    outbox.c.id
)


def _grouped(rows: Iterable[Sequence[Any]]) -> dict[Any, list[Sequence[Any]]]:
    """Rows grouped by their first column, in the order read; each the rest of its row."""
    grouped: dict[Any, list[Sequence[Any]]] = {}
    for key, *rest in rows:
        grouped.setdefault(key, []).append(rest)
    return grouped


def _text(outcome: dict[str, Any]) -> str:
    lines = []
    for i in outcome["incidents"]:
        lines.append(
            f"incident #{i['id']} {i['customer']}/{i['host']} {i['tier']} {i['severity']} "
            f"opened {i['opened_at']}: {', '.join(i['faults'])}"
        )
        for name, t in i["targets"].items():
            state = "BREACHED" if t["breached"] else "met" if t["met_at"] else "open"
            lines.append(f"  {name}: due {t['due']} ({state})")
        lines += [f"  paused {p['from']} to {p['to']}: {p['reason']}" for p in i["paused"]]
        lines += [f"  paged {p['to']} at {p['at']}" for p in i["pages"]]
    lines += [f"mail {m['at']} {m['kind']} to {m['to']}: {m['subject']}" for m in outcome["mails"]]
    return "\n".join(lines) + "\n"
