"""The lock in requirements/: complete, consistent between install sets, and hash-pinned."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.support.lock_drift import canonical, distribution_of, locked_versions, upgrades

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements"


def pins(name: str) -> dict[str, str]:
    return locked_versions((LOCK / name).read_text())


def requirement_names(requirements: list[str]) -> set[str]:
    return {canonical(re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]) for r in requirements}


def test_it_pins_every_dependency_pyproject_names_in_the_test_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = requirement_names(project["dependencies"] + extras["collector"] + extras["test"])
    wanted.discard("faultdesk")  # the test extra names the collector extra through it
    assert wanted - set(pins("test.txt")) == set()


def test_it_holds_the_collector_agent_and_build_sets_to_the_test_sets_versions() -> None:
    tested = pins("test.txt")
    for name in ("collector.txt", "agent.txt", "build.txt"):
        differing = {
            pkg: (version, tested[pkg])
            for pkg, version in pins(name).items()
            if pkg in tested and tested[pkg] != version
        }
        assert differing == {}, name


def test_it_gives_the_agent_nothing_but_psutil_and_pyyaml() -> None:
    assert set(pins("agent.txt")) == {"psutil", "pyyaml"}


def test_it_gives_every_pin_a_hash() -> None:
    for lock in LOCK.glob("*.txt"):
        blocks = re.split(r"\n(?=\S)", lock.read_text())
        pinned = [block for block in blocks if "==" in block.split("\n")[0]]
        assert pinned, lock.name
        assert all("--hash=sha256:" in block for block in pinned), lock.name


def test_it_reads_pins_by_canonical_name() -> None:
    text = (
        "PyYAML==6.0.4 \\\n    --hash=sha256:00\n    # via x\n"
        "typing_extensions==4.1 ; python_version < '3.12'\n"
    )
    assert locked_versions(text) == {"pyyaml": "6.0.4", "typing-extensions": "4.1"}


def test_it_lists_only_packages_whose_installed_version_differs() -> None:
    locked = {"aiohttp": "3.9.0", "psutil": "7.0", "gone": "1.0"}
    installed = {"aiohttp": "3.10.1", "psutil": "7.0"}
    assert upgrades(locked, installed) == {"aiohttp": ("3.9.0", "3.10.1")}


def test_it_traces_a_site_packages_file_to_its_distribution() -> None:
    owners = {"yaml": ["PyYAML"], "asyncssh": ["asyncssh"]}
    site = ["/v/lib/python3.11/site-packages"]
    assert distribution_of("/v/lib/python3.11/site-packages/yaml/loader.py", site, owners) == (
        "pyyaml"
    )
    assert distribution_of("/work/main/collector/app.py", site, owners) is None
