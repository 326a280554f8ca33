"""``host remove`` and ``customer remove``: delete what nothing refers to; while history does,
refuse and say what, unless ``--force``, which archives (out of every list, page and job; its
faults and incidents stay readable). Exit status: 0 done, 1 refused."""

from __future__ import annotations

import argparse
import getpass

from sqlalchemy import Engine

from collector.commands.console import Subparsers, counted, leaf, now, say
from collector.config.settings import CollectorConfig
from collector.operations import removal

#: Plurals not made with an s.
_PLURALS = {"figure series": "figure series"}


def _listed(counts: dict[str, int]) -> str:
    parts = [counted(n, name, _PLURALS.get(name)) for name, n in counts.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _remove(args: argparse.Namespace, engine: Engine, remove: removal.Remover) -> int:
    by = f"cli:{getpass.getuser()}"
    try:
        with engine.begin() as conn:
            done = remove(conn, args.id, force=args.force, now=now(), by=by)
    except removal.HasHistory as exc:
        raise removal.HasHistory(
            f"{exc.what} has {_listed(exc.dependents)}: not removed. "
            "--force archives it instead: gone from every list, page and job, "
            "its history kept",
            exc.dependents,
        ) from None
    if not done.archived:
        say(f"{done.what.capitalize()} removed (nothing referred to it).")
        return 0
    resolved = f"; {counted(done.resolved, 'open fault')} resolved" if done.resolved else ""
    say(
        f"{done.what.capitalize()} archived{resolved}. Kept as history: {_listed(done.kept)}.",
        "Faults and incidents stay readable by number (fault show, the dashboard).",
    )
    return 0


def host_remove(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    return _remove(args, engine, removal.remove_host)


def customer_remove(args: argparse.Namespace, config: CollectorConfig, engine: Engine) -> int:
    return _remove(args, engine, removal.remove_customer)


def register(customers: Subparsers, hosts: Subparsers) -> None:
    for parent, noun, handler, history in (
        (customers, "customer", customer_remove, "hosts, faults, incidents or portal users"),
        (hosts, "host", host_remove, "reports, faults, incidents or check results"),
    ):
        summary = f"remove a {noun}; one with {history} only with --force, which archives it"
        remove = leaf(parent, "remove", handler, summary)
        remove.add_argument("id")
        remove.add_argument(
            "--force", action="store_true", help="archive it, keeping its history readable"
        )
