"""An operator's display zone from the CLI: ``operator add --timezone`` and
``operator timezone``, IANA names only."""

from __future__ import annotations

import io

import pytest

from collector.store import operators
from tests.support.cli import Cli


def zone_of(cli: Cli, username: str) -> str | None:
    found = cli.query(lambda conn: operators.login_record(conn, username))
    assert found is not None
    return found[0].timezone


def test_it_adds_an_operator_reading_times_in_their_zone(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    done = cli("operator", "add", "kai", "--timezone", "Asia/Tokyo", "--password-stdin")
    assert done.code == 0 and "reading times in Asia/Tokyo" in done.out
    assert zone_of(cli, "kai") == "Asia/Tokyo"


def test_it_refuses_a_zone_that_is_not_an_iana_one(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    done = cli("operator", "add", "kai", "--timezone", "London", "--password-stdin")
    assert done.code == 2
    err = done.err
    assert "argument --timezone: unknown time zone 'London'" in err
    assert "Europe/London" in err  # what a good one looks like


def test_it_changes_and_resets_an_operators_zone(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert cli("operator", "add", "kai", "--password-stdin").code == 0
    assert zone_of(cli, "kai") is None  # the vendor's

    done = cli("operator", "timezone", "kai", "America/New_York")
    assert done.code == 0 and "reads times in America/New_York" in done.out
    assert zone_of(cli, "kai") == "America/New_York"

    done = cli("operator", "timezone", "kai", "--vendor")
    assert done.code == 0 and "the vendor's zone (UTC)" in done.out
    assert zone_of(cli, "kai") is None

    assert cli("operator", "timezone", "kai").code == 2  # neither a zone nor --vendor
    assert cli("operator", "timezone", "nobody", "UTC").code == 1
