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

#: Modules that add sub-commands, in the order they appear in ``--help``, with the commands
#: each adds: a command line naming one of them imports that module alone (the others pull in
#: aiohttp, asyncssh and more, a good part of a second), while ``--help`` imports them all.
COMMANDS = {
    "collector.commands.service": ("run", "migrate", "check-config"),
    "collector.commands.admin": ("customer", "host", "inventory"),
    "collector.commands.people": ("operator", "token"),
    "collector.commands.users": ("user",),
    "collector.commands.checks": ("check",),
    "collector.commands.faults": ("fault",),
    "collector.commands.sla": ("sla",),
    "collector.commands.incident": ("incident",),
    "collector.commands.probe": ("probe",),
    "collector.commands.maintenance": ("maintenance",),
    "collector.commands.paging": ("page",),
    "collector.commands.calendar": ("calendar",),
    "collector.commands.simulate": ("simulate",),
}
COMMAND_MODULES = tuple(COMMANDS)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: every command's when ``argv`` names none (``--help``, a typo),
    else the named command's alone."""
    parser = argparse.ArgumentParser(
        prog="faultdesk-collector",
        description="Faultdesk collector: run the service, migrate, and administer it.",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _modules_for(argv):
        importlib.import_module(name).register(subparsers)
    return parser


def _modules_for(argv: Sequence[str] | None) -> Sequence[str]:
    words = argparse.ArgumentParser(add_help=False)
    words.add_argument("--log-level")
    words.add_argument("command", nargs="?")
    command = words.parse_known_args(argv)[0].command
    named = [name for name, commands in COMMANDS.items() if command in commands]
    return named or COMMAND_MODULES


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
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
