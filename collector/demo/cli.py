"""``faultdesk``: the product's front command. ``faultdesk demo`` runs the whole thing locally.

Sub-commands are imported when chosen, so ``faultdesk --help`` stays quick.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

MIN_SPEED, MAX_SPEED = 0.1, 20.0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return int(args.func(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faultdesk", description="Faultdesk: monitoring for IT and telecom support vendors."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run the collector, a mail catcher, a real agent and a simulated fleet locally",
        description="Run the collector on 127.0.0.1 with SQLite, a mail catcher whose messages "
        "show at /demo/inbox, a real agent for this machine and a simulated fleet of 20 hosts "
        "where faults come and go. Ctrl-C stops everything.",
    )
    demo.add_argument("--port", type=_http_port, default=8080, help="HTTP port (default 8080)")
    demo.add_argument(
        "--var",
        type=Path,
        default=Path("var"),
        help="directory for the demo's files; it uses <var>/demo/, emptied at each start "
        "(default ./var)",
    )
    demo.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        help=f"run time faster: reports every 10/SPEED s ({MIN_SPEED:g} to {MAX_SPEED:g}, "
        "default 1)",
    )
    demo.add_argument(
        "--smtp-port",
        type=_port,
        default=8025,
        help="port of the mail catcher (default 8025, or any free port if taken; 0: any)",
    )
    demo.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    demo.set_defaults(func=_demo)
    return parser


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port")
    return value


def _http_port(text: str) -> int:
    """A fixed port: the emailed links must name it before the collector starts."""
    value = _port(text)
    if value == 0:
        raise argparse.ArgumentTypeError("give a port number (0 is not allowed here)")
    return value


def _speed(text: str) -> float:
    value = float(text)
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"must be between {MIN_SPEED:g} and {MAX_SPEED:g}")
    return value


def _demo(args: argparse.Namespace) -> int:
    from collector.demo.runner import DemoOptions, run_demo

    level = args.log_level.upper()
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%H:%M:%S",
    )
    # The demo's own story (scenarios starting, mail caught) at INFO; the rest only when wrong.
    logging.getLogger("collector.demo").setLevel(level)
    # apscheduler's own messages are noise here: at demo speeds a job may find its previous run
    # still going. Real failures of a job are logged by collector.jobs.schedules, which wraps it.
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
    if level == "DEBUG":
        logging.getLogger().setLevel(logging.DEBUG)
    options = DemoOptions(args.port, args.var, args.speed, args.smtp_port)
    return run_demo(options, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
