"""The real collector and agent as processes: config files, start, readiness, stop.

End-to-end tests run ``faultdesk-collector run`` and ``faultdesk-agent run`` from the venv,
each with its output in a log file the test can read back when something goes wrong.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

BIN = Path(sys.executable).parent
SECRET = "e2e-secret-0123456789abcdef"
CONTACT = "jo@acme.example"
NOC = "noc@vendor.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_inventory(
    directory: Path, host_id: str, key: str, *, interval_s: float = 1, contact: str = CONTACT
) -> Path:
    """One customer (Acme Ltd, Cat2) with one PBX host holding ``key``."""
    inventory = {
        "customers": [
            {
                "id": "acme",
                "name": "Acme Ltd",
                "contacts": [{"name": "Jo", "email": contact}],
                "contract": {
                    "tier": "cat2",
                    "starts_on": "2026-01-01",
                    "ends_on": "2099-01-01",
                    "ports": 10,
                },
                "hosts": [
                    {
                        "id": host_id,
                        "name": "pbx1.acme",
                        "kind": "pbx",
                        "interval_s": interval_s,
                        "key": key,
                    }
                ],
            }
        ]
    }
    path = directory / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def write_collector_config(
    directory: Path,
    http_port: int,
    smtp_port: int,
    *,
    mail: Mapping[str, Any] | None = None,
    monitoring: Mapping[str, Any] | None = None,
) -> Path:
    """A collector on 127.0.0.1:``http_port`` with SQLite at ``directory/faultdesk.db`` and
    ``directory/inventory.yaml`` (see :func:`write_inventory`) loaded at start."""
    config = {
        "secret_key": SECRET,
        "http": {
            "host": "127.0.0.1",
            "port": http_port,
            "public_url": f"http://127.0.0.1:{http_port}",
            "secure_cookies": False,
        },
        "database": {"url": database_url(directory)},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "sender": "faultdesk@vendor.example"},
        "mail": {"noc": NOC, **(mail or {})},
        "monitoring": dict(monitoring or {}),
        "inventory_file": "inventory.yaml",
    }
    path = directory / "collector.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def database_url(directory: Path) -> str:
    return f"sqlite:///{directory}/faultdesk.db"


def write_agent_config(
    directory: Path, collector_url: str, host_id: str, key: str, *, interval_s: float = 1
) -> Path:
    """``directory/agent.yaml``, its key in ``directory/host.key`` (mode 0600, as the agent
    insists) and its spool in ``directory/spool``."""
    key_file = directory / "host.key"
    key_file.write_text(key)
    key_file.chmod(0o600)
    config = {
        "collector_url": collector_url,
        "host_id": host_id,
        "key_file": str(key_file),
        "interval_s": interval_s,
        "spool_dir": str(directory / "spool"),
    }
    path = directory / "agent.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def collector_command(config: Path, bin_dir: Path = BIN) -> list[str]:
    return [str(bin_dir / "faultdesk-collector"), "run", "--config", str(config)]


def agent_command(config: Path, bin_dir: Path = BIN) -> list[str]:
    return [str(bin_dir / "faultdesk-agent"), "run", "--config", str(config)]


def start_process(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` with stdout and stderr appended to ``log``."""
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> int | None:
    """SIGTERM, then SIGKILL if it does not exit in time; returns the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def start_collector(
    config: Path, port: int, log: Path, bin_dir: Path = BIN
) -> subprocess.Popen[bytes]:
    """Start the collector (from the venv whose scripts are in ``bin_dir``) on ``port`` and
    wait for ``/readyz``.

    The port is fixed (an agent's config names it), so a port someone else took is a clear
    test failure rather than a collector quietly listening elsewhere.
    """
    _fail_if_port_taken(port)
    process = start_process(collector_command(config, bin_dir), log)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, log)
    except BaseException:
        stop_process(process)
        raise
    return process


def _fail_if_port_taken(port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the collector binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            pytest.fail(
                f"127.0.0.1:{port} is taken by another process ({exc}); the collector "
                "must come back on the port the agent's config names"
            )


def wait_ready(
    base_url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 30.0
) -> None:
    """Wait for ``GET /readyz`` to answer 200; fail with the log if the process exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            taken = "address already in use" in output.lower()
            why = "its port is taken by another process" if taken else "it exited"
            pytest.fail(f"{process.args!r} did not come up: {why}:\n{output}")
        if _answers_200(f"{base_url}/readyz"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{base_url}/readyz did not come up:\n{log.read_text(errors='replace')}")


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
