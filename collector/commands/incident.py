"""``faultdesk-collector incident``: the operators' queue, why an incident is due when it is,
and its lifecycle steps from a terminal.

``incident explain ID`` prints each started target's due time (UTC and the tier's own wall
clock) and the reason, e.g. "due Tue 29 Dec 11:00 Europe/London — opened Thu 24 Dec 18:10
outside hours; 25, 28 Dec public holidays; paused 40 min while SSH was unreachable".
Lifecycle steps (respond, onsite, arrived, resolve, close, wait, resume) are recorded under the
name given with ``--by``. Exit status: 0 done, 1 refused (no such incident, a step the
incident's state does not allow), 2 a bad configuration file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeAlias
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from collector.commands.service import EXIT_CONFIG, add_config_option, config_or_none
from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.domain.sla import Explanation
from collector.engine.incident_clock import access_rules, explain_incident
from collector.operations.incidents import ACTIONS, IncidentError, IncidentNotFound, perform
from collector.store import incidents as incident_store
from collector.store.engines import make_engine, migrate
from collector.store.incident_view import IncidentView

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler = Callable[[argparse.Namespace, CollectorConfig, Connection, datetime], str]

#: What each lifecycle command does, for ``--help``.
ACTION_HELP = {
    "respond": "record the first response to the customer",
    "onsite": "record that an on-site visit is needed (starts the on-site clock)",
    "arrived": "record the engineer's arrival on site",
    "resolve": "record that the problem is fixed",
    "close": "close a resolved incident",
    "wait": "start waiting on the customer (the response clock stops)",
    "resume": "stop waiting on the customer (the response clock runs again)",
    "confirm": "record that a hardware failure is confirmed and parts are needed "
    "(starts the parts clocks)",
    "dispatch": "record that the replacement part was dispatched",
    "deliver": "record that the replacement part was delivered",
    "return": "record that the faulty part was returned",
    "access-granted": "record that a customer who gives access on request gave it "
    "(the clocks paused since the incident opened run again)",
}


def now() -> datetime:
    return datetime.now(UTC)


def _command(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """Load the config, run ``handler`` in one transaction, print what it says."""

    def command(args: argparse.Namespace) -> int:
        config = config_or_none(args.config)
        if config is None:
            return EXIT_CONFIG
        logging.getLogger("alembic").setLevel(logging.WARNING)
        engine: Engine = make_engine(config.database.url)
        try:
            migrate(engine)
            with engine.begin() as conn:
                out = handler(args, config, conn, now())
        except IncidentError as exc:
            sys.stderr.write(f"faultdesk-collector: {exc}\n")
            return 1
        finally:
            engine.dispose()
        sys.stdout.write(out)
        return 0

    return command


def _utc(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "-"


def _heading(incident: IncidentView) -> str:
    host = incident.host_name or "whole site"
    terms = incident.tier if incident.covered else f"{incident.tier}, not covered"
    return (
        f"Incident #{incident.id}: {incident.customer_name} / {host}: {incident.title}\n"
        f"{incident.severity}, {terms} ({incident.policy.get('title', '')}), {incident.status}\n"
    )


def _target_lines(name: str, explanation: Explanation) -> str:
    local = explanation.due.astimezone(ZoneInfo(explanation.zone))
    pauses = "".join(
        f"  paused {_utc(p.start)} to {_utc(p.end)}: {p.reason}\n" for p in explanation.pauses
    )
    return (
        f"{name}: {_utc(explanation.due)} ({local:%Y-%m-%d %H:%M} {explanation.zone}), "
        f"{explanation.rule}\n  {explanation.sentence}\n"
        f"  calendar: {explanation.calendar}\n{pauses}"
    )


def explain(
    args: argparse.Namespace, config: CollectorConfig, conn: Connection, at: datetime
) -> str:
    incident = _get(conn, args.id)
    found = explain_incident(conn, incident, catalogue_for(config), at, access_rules(config))
    lines = [_heading(incident)]
    if not incident.covered:
        lines.append(f"{incident.not_covered_reason} No response target applies.\n")
    elif not found:
        lines.append(f"The tier sets no target for {incident.severity} incidents.\n")
    lines.extend(_target_lines(name, e) for name, e in found.items())
    if incident.responded_at:
        lines.append(f"Responded: {_utc(incident.responded_at)}\n")
    return "".join(lines)


def listing(
    args: argparse.Namespace, config: CollectorConfig, conn: Connection, at: datetime
) -> str:
    rows = incident_store.list_incidents(conn, open_only=not args.all)
    out = [f"{'ID':>5}  {'TIER':<14}  {'SEV':<8}  {'STATUS':<16}  {'RESPONSE DUE':<20}  PROBLEM\n"]
    for i in rows:
        due = "responded" if i.responded_at else _utc(i.response_due_at)
        mark = "*" if i.front_of_queue else " "
        problem = f"{i.customer_name} / {i.host_name or 'whole site'}: {i.title}"
        out.append(
            f"{i.id:>5}{mark} {i.tier:<14}  {i.severity:<8}  {i.status:<16}  {due:<20}  {problem}\n"
        )
    if any(i.front_of_queue for i in rows):
        out.append("* front of the queue (the customer's tier says so)\n")
    return "".join(out)


def lifecycle(
    args: argparse.Namespace, config: CollectorConfig, conn: Connection, at: datetime
) -> str:
    incident = perform(
        conn,
        args.id,
        args.incident_command,
        by=args.by,
        now=at,
        catalogue=catalogue_for(config),
        note=args.note or "",
        rules=access_rules(config),
        force=getattr(args, "force", False),
    )
    event = incident_store.events(conn, incident.id)[-1]
    return f"Incident {incident.reference} (#{incident.id}) is {incident.status}: {event.detail}\n"


def _get(conn: Connection, incident_id: int) -> IncidentView:
    incident = incident_store.get_incident(conn, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident #{incident_id}")
    return incident


def _leaf(group: Subparsers, name: str, handler: Handler, summary: str) -> argparse.ArgumentParser:
    parser = group.add_parser(name, help=summary, description=summary)
    add_config_option(parser)
    parser.set_defaults(func=_command(handler))
    return parser


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "incident",
        help="the incident queue, SLA explanations and lifecycle steps",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    group = parser.add_subparsers(dest="incident_command", required=True, metavar="ACTION")
    shown = _leaf(group, "list", listing, "open incidents in queue order")
    shown.add_argument("--all", action="store_true", help="closed incidents too")
    _leaf(group, "explain", explain, "why each target is due when it is").add_argument(
        "id", type=int
    )
    for action in ACTIONS:
        step = _leaf(group, action, lifecycle, ACTION_HELP[action])
        step.add_argument("id", type=int)
        step.add_argument("--by", required=True, metavar="NAME", help="who did it")
        step.add_argument("--note", help="a word for the incident's history")
        if action in ("resolve", "close"):
            step.add_argument(
                "--force",
                action="store_true",
                help="even though the incident's fault is still open (the history says so)",
            )
