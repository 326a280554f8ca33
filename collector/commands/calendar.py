"""``faultdesk-collector calendar announce|list|withdraw``: days the vendor announces closed or
on reduced hours. Each takes effect at once in the running collector (no restart), and open
incidents on that calendar are recalculated with the reason on their timeline."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from collector.commands.console import BadArgument, Subparsers, group, leaf, say, table, validated
from collector.config.settings import CollectorConfig
from collector.config.tiers import catalogue_for
from collector.engine.incident_clock import access_rules
from collector.operations import announcements as ops
from collector.store import announcements as store
from collector.store.announcements import AnnouncementRow


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-29") from None


def announce(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    body = validated(
        ops.NewAnnouncement,
        calendar=args.calendar,
        day=args.day,
        hours=args.hours or [],
        reason=args.reason,
        flags={"hours": "--hours", "reason": "--reason"},
    )
    catalogue, rules = catalogue_for(config), access_rules(config)
    with engine.begin() as conn:
        try:
            row, changed = ops.announce(
                conn, body, by=args.by, now=datetime.now(UTC), catalogue=catalogue, rules=rules
            )
        except ops.AnnouncementRefused as exc:
            raise BadArgument(str(exc)) from None
    say(f"Announcement #{row.announcement.id}: {row.announcement.describe()}")
    _say_changed(changed)
    return 0


def withdraw(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    catalogue, rules = catalogue_for(config), access_rules(config)
    with engine.begin() as conn:
        try:
            row, changed = ops.withdraw(
                conn, args.id, by=args.by, now=datetime.now(UTC), catalogue=catalogue, rules=rules
            )
        except (ops.AnnouncementRefused, ops.AnnouncementNotFound) as exc:
            raise BadArgument(str(exc)) from None
    say(f"Announcement #{row.announcement.id} withdrawn: {row.announcement.describe()}")
    _say_changed(changed)
    return 0


def listing(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    with engine.begin() as conn:
        rows = store.listing(conn, include_withdrawn=args.all)
    table(["ID", "CALENDAR", "DAY", "HOURS", "REASON", "BY", "STATE"], [_cells(r) for r in rows])
    return 0


def _cells(row: AnnouncementRow) -> list[str]:
    a = row.announcement
    hours = ", ".join(map(str, a.hours)) or "closed"
    state = f"withdrawn by {row.withdrawn_by}" if row.withdrawn_at else "in force"
    return [str(a.id), a.calendar, a.day.isoformat(), hours, a.reason, row.announced_by, state]


def _say_changed(changed: list[int]) -> None:
    if changed:
        say("Open incidents recalculated: " + ", ".join(f"#{i}" for i in changed))


def register(subparsers: Subparsers) -> None:
    calendars = group(subparsers, "calendar", "announce closed or reduced-hours days")
    made = leaf(calendars, "announce", announce, "announce a closed or reduced-hours day")
    made.add_argument("calendar", help="a calendar of the tier catalogue, e.g. uk-office")
    made.add_argument("day", type=_day, metavar="YYYY-MM-DD", help="the date, local to it")
    made.add_argument(
        "--hours", action="append", metavar="HH:MM-HH:MM", help="hours kept (default: closed)"
    )
    made.add_argument("--reason", required=True, help="shown on incidents and in explain")
    made.add_argument("--by", required=True, metavar="NAME")
    shown = leaf(calendars, "list", listing, "list the announcements in force")
    shown.add_argument("--all", action="store_true", help="withdrawn ones too")
    gone = leaf(calendars, "withdraw", withdraw, "withdraw an announcement")
    gone.add_argument("id", type=int)
    gone.add_argument("--by", required=True, metavar="NAME")
