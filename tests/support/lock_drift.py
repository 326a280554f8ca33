"""What `make test-latest` says: which packages are newer than the lock, and what they broke.

Loaded with ``python -m pytest -p tests.support.lock_drift`` in a venv of the newest releases.
It prints the upgrades in the header and, at the end, each failing test and each warning next
to the upgraded packages whose files appear in its traceback or raised it, so an upgrade can be
taken (``make lock-upgrade``) or held back knowing what it costs.
"""

from __future__ import annotations

import re
import sysconfig
from collections import defaultdict
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import pytest

LOCK = Path(__file__).resolve().parents[2] / "requirements" / "test.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    """PEP 503 normalised name: ``PyYAML`` and ``pyyaml``, ``typing_extensions`` and ``-`` agree."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock_text: str) -> dict[str, str]:
    """``name == version`` pins of a pip requirements lock, by canonical name."""
    pins = {}
    for line in lock_text.splitlines():
        if match := _PIN.match(line):
            pins[canonical(match[1])] = match[2]
    return pins


def upgrades(locked: dict[str, str], installed: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Packages installed at another version than the lock's: name -> (locked, installed)."""
    return {
        name: (version, installed[name])
        for name, version in sorted(locked.items())
        if name in installed and installed[name] != version
    }


def distribution_of(path: str, site_dirs: list[str], owners: Mapping[str, list[str]]) -> str | None:
    """The distribution a file under site-packages belongs to, by its top-level module."""
    for site in site_dirs:
        prefix = site.rstrip("/") + "/"
        if path.startswith(prefix):
            top = path[len(prefix) :].split("/")[0].removesuffix(".py")
            names = owners.get(top)
            return canonical(names[0]) if names else None
    return None


class LockDrift:
    def __init__(self) -> None:
        installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
        self.upgraded = upgrades(locked_versions(LOCK.read_text()), installed)
        self.site_dirs = sorted(
            {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        )
        self.owners = metadata.packages_distributions()
        self.failures: dict[str, set[str]] = defaultdict(set)
        self.warnings: dict[str, set[str]] = defaultdict(set)

    def _upgraded_in(self, paths: list[str]) -> set[str]:
        found = {distribution_of(p, self.site_dirs, self.owners) for p in paths}
        return {name for name in found if name in self.upgraded}

    def pytest_report_header(self) -> list[str]:
        if not self.upgraded:
            return ["lock drift: every installed package is at its locked version"]
        return ["lock drift: newer than requirements/test.txt:"] + [
            f"  {name} {old} -> {new}" for name, (old, new) in self.upgraded.items()
        ]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            paths = re.findall(r"^(/\S+?\.py):\d+", report.longreprtext, re.MULTILINE)
            paths += re.findall(r'File "([^"]+)"', report.longreprtext)
            for name in self._upgraded_in(paths) or {"(no upgraded package in the traceback)"}:
                self.failures[name].add(report.nodeid)

    def pytest_warning_recorded(self, warning_message: object, nodeid: str) -> None:
        filename = str(getattr(warning_message, "filename", ""))
        for name in self._upgraded_in([filename]):
            self.warnings[name].add(f"{nodeid or '(collection)'}: {warning_message.message}")  # type: ignore[attr-defined]

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.section("lock drift: what the upgrades break")
        if not self.failures and not self.warnings:
            terminalreporter.write_line("no failure or warning traced to an upgraded package")
        for name in sorted(set(self.failures) | set(self.warnings)):
            old, new = self.upgraded.get(name, ("", ""))
            terminalreporter.write_line(f"{name} {old} -> {new}".rstrip(" ->"))
            for nodeid in sorted(self.failures.get(name, ())):
                terminalreporter.write_line(f"  failed: {nodeid}")
            for text in sorted(self.warnings.get(name, ()))[:10]:
                terminalreporter.write_line(f"  warned: {text}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(LockDrift(), "lock-drift")
