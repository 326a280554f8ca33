"""One parser for where a probe points, shared by configured checks and the probe command."""

from __future__ import annotations

import argparse

import pytest

from collector.commands.probe import host_and_port
from collector.probes.base import Verdict
from collector.probes.targets import split_target


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("pbx.acme.example", ("pbx.acme.example", 22)),
        ("pbx.acme.example:2222", ("pbx.acme.example", 2222)),
        ("[2001:db8::5]:2222", ("2001:db8::5", 2222)),
        ("[2001:db8::5]", ("2001:db8::5", 22)),
        ("2001:db8::5", ("2001:db8::5", 22)),
    ],
)
def test_it_reads_host_and_port_alike_for_checks_and_the_command(
    target: str, expected: tuple[str, int]
) -> None:
    assert split_target(target, default_port=22) == expected
    assert host_and_port(22)(target) == expected


@pytest.mark.parametrize("target", ["pbx:0", "pbx:65536", "pbx:ssh", ":22", "[]:22"])
def test_it_refuses_a_bad_target_in_both_places(target: str) -> None:
    with pytest.raises(ValueError):
        split_target(target, default_port=22)
    with pytest.raises(argparse.ArgumentTypeError):
        host_and_port(22)(target)


def test_it_needs_a_port_where_the_kind_has_no_default() -> None:
    with pytest.raises(ValueError, match="needs a port"):
        split_target("db.acme.example")
    assert split_target("db.acme.example", port=5432) == ("db.acme.example", 5432)
    with pytest.raises(ValueError, match="disagree"):
        split_target("db.acme.example:5433", port=5432)


def test_it_gives_unknown_the_plugin_exit_code_3() -> None:
    assert [v.exit_code for v in Verdict] == [0, 1, 2, 3]
