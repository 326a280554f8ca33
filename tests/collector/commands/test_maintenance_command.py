"""``faultdesk-collector maintenance add|list|end`` through the CLI, on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.cli import Cli


@pytest.fixture
def maintenance(cli: Cli) -> Cli:
    for argv in (
        ["customer", "add", "acme", "--name", "Acme"],
        ["customer", "add", "zed", "--name", "Zed"],
        ["host", "add", "pbx1", "--customer", "acme"],
        ["host", "add", "zed1", "--customer", "zed"],
    ):
        assert cli(*argv).code == 0
    return cli.under("maintenance")


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def test_it_adds_lists_and_ends_a_one_off_window_for_a_host(maintenance: Cli) -> None:
    now = datetime.now(UTC)
    added = maintenance(
        "add",
        "--customer=acme",
        "--host=pbx1",
        f"--starts={iso(now - timedelta(hours=1))}",
        f"--ends={iso(now + timedelta(hours=2))}",
        "--reason=disk swap",
        "--by=olga",
    )
    assert added.code == 0, added.err
    assert "#1 added for host pbx1" in added.out and "recorded but not mailed" in added.out
    listed = maintenance("list", "--host=pbx1")
    assert listed.out.splitlines()[0].split() == [
        "ID",
        "CUSTOMER",
        "HOST",
        "STATE",
        "WHEN",
        "REASON",
    ]
    (row,) = listed.out.splitlines()[1:]
    assert row.split()[:4] == ["1", "acme", "pbx1", "in_force"] and row.endswith("disk swap")

    ended = maintenance("end", "1")
    assert ended.code == 0 and "#1 ended" in ended.out
    assert maintenance("list").out.splitlines()[1:] == []
    assert "ended" in maintenance("list", "--all").out.splitlines()[1]
    again = maintenance("end", "1")
    assert again.code == 1 and "ended already" in again.err


def test_it_adds_a_weekly_window_for_every_host_of_a_customer(maintenance: Cli) -> None:
    added = maintenance(
        "add",
        "--customer=acme",
        "--every=weekly",
        "--days=sa,su",
        "--at=02:00",
        "--duration=1h30m",
        "--timezone=Europe/London",
        "--starts=2026-03-01T00:00",
    )
    assert added.code == 0, added.err
    assert "every host of acme" in added.out
    assert "SA, SU at 02:00 Europe/London for 1 h 30 min" in added.out
    assert "from 2026-03-01 00:00 UTC" in added.out  # London is on GMT then
    (row,) = maintenance("list", "--customer=acme").out.splitlines()[1:]
    assert row.split()[:3] == ["1", "acme", "(all)"]


REFUSALS = [
    (
        ["--customer=acme", "--starts=2030-01-01T10:00"],
        2,
        "--ends: Value error, a one-off window needs --ends",
    ),
    (["--customer=acme", "--every=weekly", "--at=02:00", "--duration=2h"], 2, "--days"),
    (["--customer=acme", "--every=daily", "--at=02:00"], 2, "a recurring window needs --duration"),
    (
        ["--customer=acme", "--every=daily", "--at=02:00", "--duration=2h", "--days=MO"],
        2,
        "--days",
    ),
    (
        ["--customer=acme", "--every=daily", "--at=02:00", "--duration=1h", "--timezone=X/Y"],
        2,
        "timezone",
    ),
    (["--customer=acme", "--starts=tomorrow", "--ends=2030-01-01T10:00"], 2, "tomorrow"),
    (["--customer=acme", "--host=zed1", "--starts=2030-01-01", "--ends=2030-01-02"], 1, "zed"),
    (
        ["--customer=acme", "--host=nothing", "--starts=2030-01-01", "--ends=2030-01-02"],
        1,
        "nothing",
    ),
    (["--customer=nobody", "--starts=2030-01-01", "--ends=2030-01-02"], 1, "nobody"),
]


def test_it_refuses_windows_it_cannot_use_and_adds_nothing(maintenance: Cli) -> None:
    for argv, code, said in REFUSALS:
        refused = maintenance("add", *argv)
        assert refused.code == code and said in refused.err, (argv, refused)
    assert maintenance("list", "--all").out.splitlines()[1:] == []


def test_it_refuses_unknown_windows_and_filters(maintenance: Cli) -> None:
    assert maintenance("end", "7").code == 1
    assert maintenance("list", "--host=nothing").code == 1
    assert maintenance("list", "--customer=nobody").code == 1
