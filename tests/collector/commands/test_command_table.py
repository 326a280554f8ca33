"""``faultdesk-collector`` imports only the module of the command it runs: the table saying
which module adds which command must be what the modules add."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from collector import cli


@pytest.mark.parametrize("module", cli.COMMAND_MODULES)
def test_each_module_adds_the_commands_the_table_names(module: str) -> None:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    importlib.import_module(module).register(subparsers)
    assert sorted(subparsers.choices) == sorted(cli.COMMANDS[module])


def test_a_command_line_builds_its_own_command_only() -> None:
    parser = cli.build_parser(["--log-level", "DEBUG", "sla", "due", "--help"])
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(commands.choices) == ["sla"]


def test_help_and_unknown_commands_list_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    everything = [c for commands in cli.COMMANDS.values() for c in commands]
    for argv in (["--help"], ["nonsense"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
        listed = capsys.readouterr()
        assert all(command in listed.out + listed.err for command in everything)


def test_running_simulate_leaves_the_service_stack_unimported() -> None:
    code = (
        "import sys\n"
        "from collector import cli\n"
        "cli.build_parser(['simulate', 'x.yaml'])\n"
        "print(' '.join(m for m in ('aiohttp', 'asyncssh') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
