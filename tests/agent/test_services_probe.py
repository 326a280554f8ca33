"""The services probe: real processes and sockets; a stand-in systemctl (no systemd here)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import PortCheck, ServicesSettings
from agent.probes.services import ServicesProbe, count_processes

#: Prints the unit blocks the test wrote to a file, the way `systemctl show` does.
FAKE_SYSTEMCTL = """#!/bin/sh
cat "$(dirname "$0")/units.txt"
exit "$(cat "$(dirname "$0")/exit_code" 2>/dev/null || echo 0)"
"""


@pytest.fixture
def systemctl(tmp_path: Path) -> Path:
    script = tmp_path / "systemctl"
    script.write_text(FAKE_SYSTEMCTL)
    script.chmod(0o755)
    return script


def _units(systemctl: Path, *blocks: tuple[str, str, int, int]) -> None:
    text = "\n\n".join(
        f"Id={unit}\nLoadState=loaded\nActiveState={state}\nSubState=running\n"
        f"NRestarts={restarts}\nActiveEnterTimestampMonotonic={entered}"
        for unit, state, restarts, entered in blocks
    )
    (systemctl.parent / "units.txt").write_text(text + "\n")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_it_finds_running_processes_and_flags_missing_ones(
    sleeper: subprocess.Popen[bytes],
) -> None:
    probe = ServicesProbe(ServicesSettings(processes=("sleep", "no-such-daemon")))
    result = probe.collect()
    assert result["status"] == "critical"
    assert result["metrics"]["processes"]["sleep"]["running"] is True
    assert result["metrics"]["processes"]["no-such-daemon"] == {"running": False, "count": 0}
    assert result["metrics"]["down"] == ["process no-such-daemon"]
    assert result["error"] == "down: process no-such-daemon"


def test_it_matches_names_linux_cut_to_15_characters() -> None:
    counts = count_processes(
        ["asterisk-with-long-name", "sshd"], ["asterisk-with-l", "sshd", "sshd"]
    )
    assert counts == {"asterisk-with-long-name": 1, "sshd": 2}


def test_it_scans_processes_every_nth_cycle_only() -> None:
    scans: list[int] = []

    def names() -> list[str]:
        scans.append(1)
        return ["asterisk"]

    probe = ServicesProbe(
        ServicesSettings(processes=("asterisk",)), scan_every=3, process_names=names
    )
    results = [probe.collect() for _ in range(5)]
    assert len(scans) == 2  # cycles 0 and 3
    assert all(r["metrics"]["processes"]["asterisk"]["running"] for r in results)


def test_it_sees_listening_tcp_and_bound_udp_ports() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
        socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as udp,
    ):
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        udp.bind(("::1", 0))
        closed = _free_port(socket.SOCK_STREAM)
        checks = (
            PortCheck(tcp.getsockname()[1], "tcp"),
            PortCheck(udp.getsockname()[1], "udp"),
            PortCheck(closed, "tcp"),
        )
        result = ServicesProbe(ServicesSettings(ports=checks)).collect()
    ports = result["metrics"]["ports"]
    assert ports[str(checks[0])] == {"listening": True}
    assert ports[str(checks[1])] == {"listening": True}
    assert ports[str(checks[2])] == {"listening": False}
    assert result["status"] == "critical"
    assert result["metrics"]["down"] == [f"port {closed}/tcp"]


def test_it_reports_unit_state_and_restarts_since_the_last_report(systemctl: Path) -> None:
    probe = ServicesProbe(ServicesSettings(units=("asterisk", "ssh")), systemctl=str(systemctl))
    _units(systemctl, ("asterisk.service", "active", 2, 100), ("ssh.service", "active", 0, 50))
    first = probe.collect()
    assert first["status"] == "ok"
    assert first["metrics"]["units"]["asterisk"]["restarts"] == 0
    assert first["metrics"]["units"]["asterisk"]["restarts_total"] == 2

    _units(systemctl, ("asterisk.service", "active", 5, 900), ("ssh.service", "active", 0, 70))
    second = probe.collect()["metrics"]["units"]
    assert second["asterisk"]["restarts"] == 3  # crashes systemd restarted
    assert second["ssh"]["restarts"] == 1  # restarted by hand: re-activated, not counted


def test_it_is_critical_when_a_unit_is_not_active(systemctl: Path) -> None:
    probe = ServicesProbe(ServicesSettings(units=("asterisk",)), systemctl=str(systemctl))
    _units(systemctl, ("asterisk.service", "failed", 1, 100))
    result = probe.collect()
    assert result["status"] == "critical"
    assert result["metrics"]["units"]["asterisk"]["active_state"] == "failed"
    assert result["metrics"]["down"] == ["unit asterisk"]


def test_it_reports_an_error_when_systemctl_cannot_answer(
    systemctl: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    (systemctl.parent / "units.txt").write_text("")
    (systemctl.parent / "exit_code").write_text("1")
    settings = ServicesSettings(processes=("sleep",), units=("asterisk",))
    result = ServicesProbe(settings, systemctl=str(systemctl)).collect()
    assert result["status"] == "error"
    assert result["error"].startswith("systemctl:")
    assert result["metrics"]["units"]["asterisk"] == {"active": None}
    assert result["metrics"]["processes"]["sleep"]["running"] is True


def test_it_reports_an_error_when_systemctl_is_missing(tmp_path: Path) -> None:
    probe = ServicesProbe(ServicesSettings(units=("x",)), systemctl=str(tmp_path / "nope"))
    result = probe.collect()
    assert result["status"] == "error"
    assert result["metrics"]["down"] == []


def test_it_reports_an_error_when_the_socket_tables_are_unreadable(tmp_path: Path) -> None:
    probe = ServicesProbe(ServicesSettings(ports=(PortCheck(22),)), proc_root=tmp_path)
    result = probe.collect()
    assert result["status"] == "error"
    assert result["metrics"]["ports"] == {"22/tcp": {"listening": None}}
    assert "tcp sockets" in result["error"]
