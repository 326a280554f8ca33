"""``faultdesk-collector``: run the service, migrate, and administer it.

Each command group lives in its own module exposing ``register(subparsers)``; the handler it
installs as ``func`` takes the parsed arguments and returns the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

#: Modules that add sub-commands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "collector.commands.service",
    "collector.commands.admin",
    "collector.commands.people",
    "collector.commands.users",
    "collector.commands.checks",
    "collector.commands.faults",
    "collector.commands.sla",
    "collector.commands.incident",
    "collector.commands.probe",
    "collector.commands.maintenance",
    "collector.commands.paging",
    "collector.commands.calendar",
    "collector.commands.simulate",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faultdesk-collector",
        description="Faultdesk collector: run the service, migrate, and administer it.",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # apscheduler logs two INFO lines per job run (the probe job runs every second) and
        # asyncssh seven per SSH probe: that would bury the collector's own log. Their
        # warnings (missed runs) still show, and the probe verdicts are in the results.
        for chatty in ("apscheduler", "asyncssh"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
