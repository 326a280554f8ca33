"""``run``, ``migrate`` and ``check-config``: starting the collector and preparing its database.

A configuration that cannot be used stops the command before anything starts, with the file,
line and field on stderr and exit status 2, so systemd shows the reason and does not loop.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from collector.config.settings import CollectorConfig, ConfigError, load_config

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("/etc/faultdesk/collector.yaml")
#: Exit status for a configuration (or command line) that cannot be used.
EXIT_CONFIG = 2


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        metavar="FILE",
        help=f"the collector's YAML configuration (default {DEFAULT_CONFIG})",
    )


def config_or_none(path: Path) -> CollectorConfig | None:
    """The configuration, or None after telling the user on stderr what is wrong with it."""
    try:
        return load_config(path)
    except ConfigError as exc:
        sys.stderr.write(f"faultdesk-collector: invalid configuration:\n{exc}\n")
        return None


def safe_url(url: str) -> str:
    """The database URL without its password, fit for a terminal or a log."""
    return make_url(url).render_as_string(hide_password=True)


def run(args: argparse.Namespace) -> int:
    config = config_or_none(args.config)
    if config is None:
        return EXIT_CONFIG
    from collector.config.dependencies import dependencies_for
    from collector.config.tiers import CatalogueError, catalogue_for

    try:  # refused at start, not at the first fault (which would also wait for them to load)
        dependencies_for(config)
        catalogue_for(config)
    except (ConfigError, CatalogueError, FileNotFoundError) as exc:
        sys.stderr.write(f"faultdesk-collector: {exc}\n")
        return EXIT_CONFIG

    from collector.app import create_app
    from collector.runtime.loop import loop_name, new_event_loop
    from collector.web.serving import serve

    loop = new_event_loop()  # uvloop when installed: probing is socket-bound
    log.info("event loop: %s", loop_name(loop))
    try:
        loop.run_until_complete(serve(create_app(config), config.http))
    finally:
        loop.close()
    return 0


def migrate(args: argparse.Namespace) -> int:
    config = config_or_none(args.config)
    if config is None:
        return EXIT_CONFIG
    from collector.store.engines import make_engine
    from collector.store.engines import migrate as upgrade

    engine = make_engine(config.database.url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    sys.stdout.write(f"database {safe_url(config.database.url)} is at the latest schema\n")
    return 0


def check_config(args: argparse.Namespace) -> int:
    """Validate the file, and the tier catalogue, dependency rules and inventory it names; no
    database needed."""
    config = config_or_none(args.config)
    if config is None:
        return EXIT_CONFIG
    from collector.config.dependencies import dependencies_for
    from collector.config.inventory_file import read_inventory
    from collector.config.tiers import CatalogueError, catalogue_for

    try:
        tiers = catalogue_for(config)
        dependencies_for(config)
        if config.inventory_file is not None:
            read_inventory(config.inventory_file)
    except (ConfigError, CatalogueError, FileNotFoundError) as exc:
        sys.stderr.write(f"faultdesk-collector: {exc}\n")
        return EXIT_CONFIG
    sys.stdout.write(f"tier catalogue: {len(tiers)} tiers ({', '.join(sorted(tiers))})\n")
    sys.stdout.write(f"{args.config}: OK (database {safe_url(config.database.url)})\n")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands = (
        ("run", run, "run the collector service in the foreground"),
        ("migrate", migrate, "bring the database schema up to date"),
        ("check-config", check_config, "validate the configuration file and exit"),
    )
    for name, handler, summary in commands:
        parser = subparsers.add_parser(name, help=summary, description=summary)
        add_config_option(parser)
        parser.set_defaults(func=handler)
