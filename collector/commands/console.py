"""What the administration commands share: config and database set-up, output, refusals.

Exit status: 0 done, 1 refused (not found, exists already, a bad inventory file), 2 a bad
configuration file or argument.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine

from collector.commands.service import EXIT_CONFIG, add_config_option, config_or_none
from collector.config.settings import CollectorConfig, ConfigError
from collector.store import inventory
from collector.store.engines import make_engine, migrate

Model = TypeVar("Model", bound=BaseModel)
AdminHandler = Callable[[argparse.Namespace, CollectorConfig, Engine], int]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class BadArgument(Exception):
    """An argument value that cannot be used (exit 2, like argparse's own errors)."""


def say(*lines: str) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    for row in (headers, *rows):
        say(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )


def counted(count: int, thing: str, things: str | None = None) -> str:
    """``1 customer``, ``2 customers``; ``things`` for a plural not made with an s."""
    return f"{count} {thing if count == 1 else things or thing + 's'}"


def now() -> datetime:
    return datetime.now(UTC)


def admin(handler: AdminHandler) -> Callable[[argparse.Namespace], int]:
    """Load the config, open and migrate the database, run ``handler``, turn refusals into exits."""

    def command(args: argparse.Namespace) -> int:
        config = config_or_none(args.config)
        if config is None:
            return EXIT_CONFIG
        logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations are routine here
        engine = make_engine(config.database.url)
        try:
            migrate(engine)
            return handler(args, config, engine)
        except (inventory.NotFound, inventory.AlreadyExists, ConfigError) as exc:
            sys.stderr.write(f"faultdesk-collector: {exc}\n")
            return 1
        except BadArgument as exc:
            sys.stderr.write(f"faultdesk-collector: {exc}\n")
            return EXIT_CONFIG
        finally:
            engine.dispose()

    return command


def validated(
    model: type[Model], *, flags: Mapping[str, str] | None = None, **fields: object
) -> Model:
    """The arguments checked by the same model the JSON API uses. ``flags`` maps the model's
    field names to the command's options, so a refusal names what the user typed."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = f"{where}: {first['msg']}"
        for field, flag in (flags or {}).items():
            message = re.sub(rf"\b{field}\b", flag, message)
        raise BadArgument(message) from None


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "never"


def leaf(
    group: Subparsers, name: str, handler: AdminHandler, summary: str
) -> argparse.ArgumentParser:
    parser = group.add_parser(name, help=summary, description=summary)
    add_config_option(parser)
    parser.set_defaults(func=admin(handler))
    return parser


def group(subparsers: Subparsers, name: str, summary: str) -> Subparsers:
    parser = subparsers.add_parser(name, help=summary, description=summary)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")
