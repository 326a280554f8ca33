"""``faultdesk-collector maintenance add|list|end``: windows when faults are recorded, not mailed.

The same checks as the JSON API and the dashboard (``collector.api.maintenance``). Times
without an offset are read in ``--timezone`` (UTC unless given), the zone a recurring window
follows too. Exit status: 0 done, 1 refused (no such customer, host or window; ended already),
2 a bad argument or configuration.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from datetime import datetime, time
from typing import TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine

from collector.commands.console import AdminHandler, BadArgument, admin, now, say, table, validated
from collector.commands.service import EXIT_CONFIG, add_config_option
from collector.config.settings import CollectorConfig
from collector.operations import maintenance as maintenance_ops
from collector.operations.maintenance import (
    NewMaintenanceWindow,
    WindowFilter,
    WindowRefused,
    describe_schedule,
)

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")


def duration(text: str) -> float:
    """``2h``, ``90m``, ``1h30m``, or plain seconds."""
    if text.isdigit():
        return float(text)
    match = _DURATION.match(text.strip().lower())
    if not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (2h, 90m, 1h30m, 7200)")
    hours, minutes = (int(part or 0) for part in match.groups())
    return float(hours * 3600 + minutes * 60)


def moment(text: str, timezone: str) -> datetime:
    """An ISO date and time; without an offset it is wall-clock time in ``timezone``."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadArgument(f"{text!r} is not a date and time (2026-03-07T22:00)") from None
    if parsed.tzinfo is not None:
        return parsed
    try:
        return parsed.replace(tzinfo=ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise BadArgument(f"--timezone: unknown IANA time zone {timezone!r}") from None


#: The JSON body's field names as this command's options, for its refusals.
FLAGS = {
    "customer_id": "--customer",
    "host_id": "--host",
    "frequency": "--every",
    "starts_at": "--starts",
    "ends_at": "--ends",
    "local_time": "--at",
    "weekdays": "--days",
    "duration_s": "--duration",
    "timezone": "--timezone",
    "reason": "--reason",
}


def body_from(args: argparse.Namespace) -> NewMaintenanceWindow:
    zone = args.timezone or "UTC"
    return validated(
        NewMaintenanceWindow,
        flags=FLAGS,
        customer_id=args.customer,
        host_id=args.host,
        frequency=args.every or "once",
        starts_at=moment(args.starts, zone) if args.starts else None,
        ends_at=moment(args.ends, zone) if args.ends else None,
        local_time=args.at,
        timezone=args.timezone,
        weekdays=[day.strip().upper() for day in args.days.split(",")] if args.days else None,
        duration_s=args.duration,
        reason=args.reason,
    )


def _who() -> str:
    try:
        return f"{getpass.getuser()} (command line)"
    except (OSError, KeyError):  # no login name in this environment
        return "command line"


def _refused(exc: WindowRefused) -> int:
    where = f"{exc.field}: " if exc.field else ""
    sys.stderr.write(f"faultdesk-collector: {where}{exc}\n")
    return EXIT_CONFIG if exc.status == 400 else 1


def window_add(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    body = body_from(args)
    try:
        with engine.begin() as conn:
            stored = maintenance_ops.create_window(conn, body, args.by or _who(), now())
    except WindowRefused as exc:
        return _refused(exc)
    scope = f"host {stored.host_id}" if stored.host_id else f"every host of {stored.customer_id}"
    say(f"Maintenance window #{stored.id} added for {scope}: {describe_schedule(stored.window)}")
    say(
        "Faults inside it are recorded but not mailed; any still open when it ends are mailed then."
    )
    return 0


def window_list(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    wanted = WindowFilter(
        active=None if args.all else True, customer_id=args.customer, host_id=args.host
    )
    moment_now = now()
    try:
        with engine.begin() as conn:
            windows = maintenance_ops.find_windows(conn, wanted, moment_now)
    except WindowRefused as exc:
        return _refused(exc)
    rows = [
        [
            str(w.id),
            w.customer_id,
            w.host_id or "(all)",
            maintenance_ops.window_state(w, moment_now),
            describe_schedule(w.window),
            w.window.reason,
        ]
        for w in windows
    ]
    table(["ID", "CUSTOMER", "HOST", "STATE", "WHEN", "REASON"], rows)
    return 0


def window_end(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    try:
        with engine.begin() as conn:
            maintenance_ops.end_window(conn, args.id, now())
    except WindowRefused as exc:
        return _refused(exc)
    say(f"Maintenance window #{args.id} ended; mail it held goes out with the next sweep.")
    return 0


def _local_time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time of day (02:00)") from None


def _leaf(
    group: Subparsers, name: str, handler: AdminHandler, summary: str
) -> argparse.ArgumentParser:
    parser = group.add_parser(name, help=summary, description=summary)
    add_config_option(parser)
    parser.set_defaults(func=admin(handler))
    return parser


def register(subparsers: Subparsers) -> None:
    summary = "maintenance windows: faults inside one are recorded but not mailed"
    parser = subparsers.add_parser("maintenance", help=summary, description=summary)
    group = parser.add_subparsers(dest="maintenance_command", required=True, metavar="ACTION")

    add = _leaf(group, "add", window_add, "add a one-off or recurring window")
    add.add_argument("--customer", required=True)
    add.add_argument("--host", help="only this host of the customer (default: all its hosts)")
    add.add_argument("--every", choices=["daily", "weekly"], help="recurring (default: one-off)")
    add.add_argument("--starts", metavar="DATETIME", help="one-off: required; recurring: from")
    add.add_argument("--ends", metavar="DATETIME", help="one-off: required; recurring: until")
    add.add_argument("--at", type=_local_time, metavar="HH:MM", help="recurring: start time")
    add.add_argument("--days", metavar="SA,SU", help="weekly: MO,TU,WE,TH,FR,SA,SU")
    add.add_argument("--duration", type=duration, metavar="2h", help="recurring: length")
    add.add_argument("--timezone", metavar="ZONE", help="IANA zone, e.g. Europe/London (UTC)")
    add.add_argument("--reason", default="")
    add.add_argument("--by", help="who asks (default: your login name)")

    listing = _leaf(group, "list", window_list, "list windows in force or to come")
    listing.add_argument("--customer")
    listing.add_argument("--host", help="windows covering this host (its own and its customer's)")
    listing.add_argument("--all", action="store_true", help="ended windows too")

    end = _leaf(group, "end", window_end, "end a window now")
    end.add_argument("id", type=int)
