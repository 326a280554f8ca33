"""``faultdesk-collector fault list|show|ack``: the faults, as the dashboard's Faults page has them.

Acknowledging here is what an operator's acknowledgement on the dashboard is: reminders stop,
the vendor is told who took it; the fault stays open until its check recovers.
"""

from __future__ import annotations

import argparse

from sqlalchemy import Engine

from collector.commands.console import (
    BadArgument,
    Subparsers,
    counted,
    group,
    leaf,
    now,
    say,
    table,
    when,
)
from collector.config.settings import CollectorConfig
from collector.operations.acknowledge import FaultNotFound, acknowledge_fault
from collector.store import faults as fault_store
from collector.store import incidents as incident_store
from collector.store import inventory
from collector.store.faults import FaultView


def _state(fault: FaultView) -> str:
    if not fault.is_open:
        return f"resolved {when(fault.resolved_at)}"
    if fault.acknowledged_at:
        return f"acknowledged by {fault.acknowledged_by}"
    return "open"


def _where(fault: FaultView) -> str:
    return fault.host_id or f"{fault.customer_id} (whole site)"


def fault_list(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        if args.host:
            inventory.get_host(conn, args.host)  # a mistyped host is refused, not empty
        faults = fault_store.list_faults(
            conn, open_only=not args.all, host_id=args.host, limit=args.limit
        )
    rows = [
        [f"#{f.id}", f.severity, _where(f), f.title, when(f.opened_at), _state(f)] for f in faults
    ]
    table(["ID", "SEVERITY", "HOST", "PROBLEM", "SINCE (UTC)", "STATE"], rows)
    if not faults:
        say("No open faults." if not args.all else "No faults recorded.")
    return 0


def fault_show(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        fault = fault_store.get_fault(conn, args.id)
        if fault is None:
            raise inventory.NotFound(f"no fault #{args.id}")
        events = fault_store.events(conn, args.id)
        incident = incident_store.incident_for_fault(conn, args.id)
    say(
        f"Fault #{fault.id}: {fault.title}",
        f"  customer   {fault.customer_name} ({fault.customer_id})",
        f"  host       {_where(fault)}",
        f"  check      {fault.check_key}",
        f"  severity   {fault.severity}{' (flapping)' if fault.flapping else ''}",
        f"  opened     {when(fault.opened_at)} UTC",
        f"  state      {_state(fault)}",
    )
    if fault.detail:
        say(f"  detail     {fault.detail}")
    if fault.ack_comment:
        say(f"  comment    {fault.ack_comment}")
    if incident is not None:
        say(f"  incident   #{incident.id} ({incident.status}), `incident explain {incident.id}`")
    say("", f"History ({counted(len(events), 'event')}, UTC):")
    for event in events:
        say(f"  {when(event.at)}  {event.kind}{': ' + event.detail if event.detail else ''}")
    return 0


def fault_ack(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    if not args.by.strip():
        raise BadArgument("--by: say who is taking the fault")
    try:
        with engine.begin() as conn:
            done = acknowledge_fault(
                conn,
                args.id,
                by=args.by,
                comment=args.comment or "",
                address="cli",
                now=now(),
                config=config,
            )
    except FaultNotFound as exc:
        raise inventory.NotFound(str(exc)) from None
    if not done:
        say(f"Fault #{args.id} was acknowledged already; nothing changed.")
        return 0
    say(f"Fault #{args.id} acknowledged by {args.by}: reminders stop, the NOC is told.")
    return 0


def register(subparsers: Subparsers) -> None:
    faults = group(subparsers, "fault", "list, show and acknowledge faults")
    listing = leaf(faults, "list", fault_list, "open faults, newest first (--all: resolved too)")
    listing.add_argument("--all", action="store_true", help="resolved faults too")
    listing.add_argument("--host", help="only this host's")
    listing.add_argument("--limit", type=int, default=200, metavar="N", help="default 200")
    leaf(faults, "show", fault_show, "one fault with its history and incident").add_argument(
        "id", type=int
    )
    ack = leaf(faults, "ack", fault_ack, "acknowledge a fault: reminders stop")
    ack.add_argument("id", type=int)
    ack.add_argument("--by", required=True, metavar="NAME", help="who is taking it")
    ack.add_argument("--comment", help="a word for the customer and the NOC")
