"""The two wheels as a customer's and a vendor's administrator install them.

Each wheel is built from this checkout (packaging/build_wheels.py, as `make wheels` does) and
installed into a fresh venv with its dependencies from the lock (pip --require-hashes), never
from the test venv. The collector from its wheel serves the agent from its wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from agent.daemon import AGENT_VERSION
from tests.support.processes import (
    free_port,
    start_collector,
    stop_process,
    write_agent_config,
    write_collector_config,
    write_inventory,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements"
KEY = "cd" * 32


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    result = run([sys.executable, str(ROOT / "packaging" / "build_wheels.py"), "--out", str(out)])
    assert "warning" not in result.stderr.lower(), result.stderr
    return {path.name.split("-")[0]: path for path in out.glob("*.whl")}


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, (
        f"{command}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result


def fresh_venv(directory: Path, lock: str, wheel: Path) -> Path:
    """A new venv holding ``wheel`` and exactly the pins of ``requirements/<lock>``."""
    venv.create(directory, with_pip=True)
    pip = [str(directory / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    run([*pip, "--require-hashes", "-r", str(LOCK / lock)])
    run([*pip, "--no-deps", str(wheel)])
    return directory / "bin"


def test_it_names_both_wheels_with_the_agents_version(wheels: dict[str, Path]) -> None:
    assert sorted(wheels) == ["faultdesk", "faultdesk_agent"]
    for wheel in wheels.values():
        assert f"-{AGENT_VERSION}-py3-none-any.whl" in wheel.name


def test_it_keeps_collector_and_dashboard_code_out_of_the_agent_wheel(
    wheels: dict[str, Path],
) -> None:
    names = zipfile.ZipFile(wheels["faultdesk_agent"]).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {
        "agent",
        f"faultdesk_agent-{AGENT_VERSION}.data",
        f"faultdesk_agent-{AGENT_VERSION}.dist-info",
    }
    assert (
        f"faultdesk_agent-{AGENT_VERSION}.data/data/share/faultdesk/config/agent.example.yaml"
        in names
    )
    unit = "share/faultdesk/config/systemd/faultdesk-agent.service"
    assert f"faultdesk_agent-{AGENT_VERSION}.data/data/{unit}" in names
    assert not [name for name in names if "collector" in name or "dashboard" in name]
    metadata = (
        zipfile.ZipFile(wheels["faultdesk_agent"])
        .read(f"faultdesk_agent-{AGENT_VERSION}.dist-info/METADATA")
        .decode()
    )
    requires = sorted(line for line in metadata.splitlines() if line.startswith("Requires-Dist"))
    assert requires == ["Requires-Dist: PyYAML>=6", "Requires-Dist: psutil>=5.9"]
    entry_points = (
        zipfile.ZipFile(wheels["faultdesk_agent"])
        .read(f"faultdesk_agent-{AGENT_VERSION}.dist-info/entry_points.txt")
        .decode()
    )
    assert "faultdesk-agent = agent.cli:main" in entry_points
    assert "faultdesk-collector" not in entry_points


def test_it_runs_the_wheel_collector_and_checks_it_from_the_wheel_agent(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    collector_bin = fresh_venv(tmp_path / "collector-venv", "collector.txt", wheels["faultdesk"])
    agent_bin = fresh_venv(tmp_path / "agent-venv", "agent.txt", wheels["faultdesk_agent"])
    # The agent's venv holds the agent, psutil and PyYAML, and nothing of the collector.
    assert not (agent_bin / "faultdesk-collector").exists()
    assert not (agent_bin / "faultdesk").exists()
    no_collector = subprocess.run(
        [str(agent_bin / "python"), "-c", "import collector"],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the checkout, whose folders Python would find first
    )
    assert "No module named 'collector'" in no_collector.stderr

    port = free_port()
    write_inventory(tmp_path, "wheel-pbx", KEY)
    config = write_collector_config(tmp_path, port, smtp_port=free_port())
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    checked = run(
        [str(collector_bin / "faultdesk-collector"), "check-config", "--config", str(config)],
        env=env,
    )
    assert "tier catalogue: " in checked.stdout
    assert f"{config}: OK" in checked.stdout
    assert checked.stderr == ""  # no third-party deprecation noise

    collector = start_collector(config, port, tmp_path / "collector.log", bin_dir=collector_bin)
    try:
        agent_config = write_agent_config(tmp_path, f"http://127.0.0.1:{port}", "wheel-pbx", KEY)
        check = run(
            [str(agent_bin / "faultdesk-agent"), "check", "--config", str(agent_config)],
            cwd=tmp_path,
        )
    finally:
        stop_process(collector)
    rows = {
        line.split()[0]: line.split()[1]
        for line in check.stdout.splitlines()[1:]
        if line[:1].strip()
    }
    assert rows["system"] == "ok"
    assert rows["key_file"] == "ok"
    assert rows["collector"] == "ok"
    assert "Warning" not in (tmp_path / "collector.log").read_text()
