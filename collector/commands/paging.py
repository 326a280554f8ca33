"""``faultdesk-collector page ack INCIDENT --by NAME``: an engineer takes an incident by hand.

For the engineer whose phone lost the page link, or an operator on the phone with them. Paging
stops for everyone. Exit status: 0 acknowledged (or already was: it says by whom), 1 no such
incident, 2 a bad configuration file.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from sqlalchemy import Engine

from collector.commands.console import Subparsers, admin, say
from collector.commands.service import add_config_option
from collector.commands.users import cli_actor
from collector.config.settings import CollectorConfig
from collector.operations.incidents import IncidentNotFound
from collector.operations.paging import acknowledge_page
from collector.store.pages import get_incident

EXIT_NOT_FOUND = 1


def register(subparsers: Subparsers) -> None:
    summary = "paging the on-call engineer"
    page = subparsers.add_parser("page", help=summary, description=summary)
    actions = page.add_subparsers(dest="page_command", required=True, metavar="ACTION")
    summary = "acknowledge an incident's page as an engineer: paging stops"
    ack = actions.add_parser("ack", help=summary, description=__doc__)
    ack.add_argument("incident", type=int, metavar="INCIDENT", help="the incident number")
    ack.add_argument("--by", required=True, metavar="NAME", help="the engineer taking it")
    add_config_option(ack)
    ack.set_defaults(func=admin(page_ack))


def page_ack(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        try:
            done = acknowledge_page(
                conn,
                args.incident,
                by=args.by,
                via="on the command line",
                now=now,
                actor=cli_actor(),
            )
        except IncidentNotFound as exc:
            sys.stderr.write(f"faultdesk-collector: {exc}\n")
            return EXIT_NOT_FOUND
        incident = get_incident(conn, args.incident)
    assert incident is not None  # it was found just above, in the same transaction
    if done and not incident.pages_on_call:
        say(f"incident #{incident.id} taken by {args.by} (its tier does not page on-call)")
    elif done:
        say(f"incident #{incident.id} acknowledged by {args.by}: paging stopped")
    else:
        at = incident.engineer_acknowledged_at
        say(
            f"incident #{incident.id} was already acknowledged by "
            f"{incident.engineer_acknowledged_by} at {at:%Y-%m-%d %H:%M} UTC"
        )
    return 0
