"""Running ``faultdesk-collector`` commands in-process, as a person at a shell would.

The ``cli`` fixture (``tests/conftest.py``) gives a :class:`Cli` on a fresh SQLite database with
a minimal config file; ``cli.under("incident")`` runs one command group's sub-commands, and
``cli.without_config()`` the commands that read no config (``probe``, ``sla due``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple, TypeVar

import pytest
from sqlalchemy import Connection

from collector import cli
from collector.store.engines import make_engine, migrate

T = TypeVar("T")


class Outcome(NamedTuple):
    """What a command did: its exit code and what it wrote."""

    code: int
    out: str
    err: str


def write_config(path: Path, database_url: str) -> Path:
    """The smallest collector config that runs: a secret key and the database."""
    path.write_text(f"secret_key: 0123456789abcdef0123\ndatabase:\n  url: {database_url}\n")
    return path


@dataclass(frozen=True)
class Cli:
    config: Path
    database_url: str
    capsys: pytest.CaptureFixture[str]
    prefix: tuple[str, ...] = ()
    names_config: bool = True

    def __call__(self, *argv: str) -> Outcome:
        """Run ``faultdesk-collector [prefix] argv --config FILE`` and read what it printed; a
        usage error's exit (argparse's ``SystemExit``) is an exit code, as the shell sees it."""
        config = ["--config", str(self.config)] if self.names_config else []
        try:
            code = cli.main([*self.prefix, *argv, *config])
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else 1
        captured = self.capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    def under(self, *prefix: str) -> Cli:
        """The same runner for one command group: ``cli.under("incident")("list")``."""
        return replace(self, prefix=(*self.prefix, *prefix))

    def without_config(self) -> Cli:
        return replace(self, names_config=False)

    def query(self, fn: Callable[[Connection], T]) -> T:
        """``fn`` in one transaction on the commands' database (migrated first, as they do)."""
        engine = make_engine(self.database_url)
        try:
            migrate(engine)
            with engine.begin() as conn:
                return fn(conn)
        finally:
            engine.dispose()
