"""Running ``faultdesk-collector`` admin commands in-process against a SQLite database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Connection

from collector import cli
from collector.store.engines import make_engine

T = TypeVar("T")


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@dataclass
class Admin:
    config: Path
    database_url: str
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *argv: str) -> Outcome:
        code = cli.main([*argv, "--config", str(self.config)])
        captured = self.capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    def query(self, fn: Callable[[Connection], T]) -> T:
        engine = make_engine(self.database_url)
        try:
            with engine.begin() as conn:
                return fn(conn)
        finally:
            engine.dispose()
