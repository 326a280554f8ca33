"""The SSH probe against a real OpenSSH sshd on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from collector.probes.base import Verdict
from collector.probes.ssh import SshLogin, probe_ssh
from tests.support.sshd import Sshd, generate_keypair, public_key_line, running_sshd

pytestmark = pytest.mark.integration


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    with running_sshd(tmp_path) as server:
        yield server


@pytest.fixture
async def silent_listener() -> AsyncIterator[int]:
    """Accepts connections and never says a word, like a hung sshd or a tarpit."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens on it once the socket is closed


async def test_it_reads_the_banner(sshd: Sshd) -> None:
    result = await probe_ssh(sshd.host, sshd.port)

    assert result.verdict is Verdict.OK
    assert result.detail.startswith("SSH-2.0-OpenSSH_")
    assert result.data["banner"] == result.detail
    assert result.latency_ms is not None
    assert result.target == f"127.0.0.1:{sshd.port}"


async def test_it_logs_in_with_the_key_when_the_host_key_matches(sshd: Sshd) -> None:
    login = SshLogin(sshd.username, str(sshd.client_key_path), sshd.host_key_line)

    result = await probe_ssh(sshd.host, sshd.port, login=login)

    assert result.verdict is Verdict.OK, result.detail
    assert result.detail.startswith(f"logged in as {sshd.username}, SSH-2.0-OpenSSH_")
    assert result.data["host_key_changed"] is False
    assert result.data["host_key"] == sshd.host_key_line
    assert f"Accepted publickey for {sshd.username}" in sshd.wait_for_log("Accepted publickey")


async def test_it_accepts_an_ssh_keyscan_line_as_the_pin(sshd: Sshd) -> None:
    keyscan_line = f"[127.0.0.1]:{sshd.port} {sshd.host_key_line}"
    login = SshLogin(sshd.username, str(sshd.client_key_path), keyscan_line)

    result = await probe_ssh(sshd.host, sshd.port, login=login)

    assert result.verdict is Verdict.OK, result.detail


async def test_it_reports_the_host_key_when_none_is_pinned(sshd: Sshd) -> None:
    login = SshLogin(sshd.username, str(sshd.client_key_path), pinned_host_key=None)

    result = await probe_ssh(sshd.host, sshd.port, login=login)

    assert result.verdict is Verdict.OK, result.detail
    assert result.data["host_key"] == sshd.host_key_line


async def test_it_says_login_refused_for_a_key_not_authorized(sshd: Sshd, tmp_path: Path) -> None:
    stranger = generate_keypair(tmp_path, "stranger_ed25519")
    login = SshLogin(sshd.username, str(stranger), sshd.host_key_line)

    result = await probe_ssh(sshd.host, sshd.port, login=login)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == f"login refused for user {sshd.username}"
    assert "host_key_changed" not in result.data


async def test_it_never_attempts_login_when_the_host_key_changed(
    sshd: Sshd, tmp_path: Path
) -> None:
    old_key = public_key_line(generate_keypair(tmp_path, "old_host_key"))
    login = SshLogin(sshd.username, str(sshd.client_key_path), old_key)

    result = await probe_ssh(sshd.host, sshd.port, login=login)

    assert result.verdict is Verdict.CRITICAL
    assert result.data["host_key_changed"] is True
    assert result.data["host_key"] == sshd.host_key_line
    assert result.detail.startswith("host key changed")
    # The server saw us hang up during key exchange, before any user name or key reached it.
    log = sshd.wait_for_log("do_cleanup [preauth]")
    assert "Host key is not trusted" in log
    assert "userauth-request" not in log
    assert "publickey" not in log


async def test_it_reports_a_changed_key_when_the_pinned_key_type_is_gone(
    sshd: Sshd, tmp_path: Path
) -> None:
    ecdsa_pin = public_key_line(generate_keypair(tmp_path, "old_ecdsa", key_type="ecdsa"))
    login = SshLogin(sshd.username, str(sshd.client_key_path), ecdsa_pin)

    result = await probe_ssh(sshd.host, sshd.port, login=login)

    assert result.verdict is Verdict.CRITICAL
    assert result.data["host_key_changed"] is True
    assert result.data["host_key"] == sshd.host_key_line  # the ed25519 key it has now
    # Two connections (the pinned attempt, then a key-exchange-only look); neither authenticated.
    log = sshd.wait_for_log("do_cleanup [preauth]", count=2)
    assert "no matching host key type found" in log
    assert "userauth-request" not in log


async def test_it_says_connection_refused_on_a_closed_port() -> None:
    result = await probe_ssh("127.0.0.1", _closed_port(), timeout_s=5)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "connection refused"
    assert result.latency_ms is None


async def test_it_gives_up_on_a_listener_that_never_sends_a_banner(silent_listener: int) -> None:
    result = await probe_ssh("127.0.0.1", silent_listener, timeout_s=0.3)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "no banner within 0.3 s"


def test_it_rejects_a_malformed_pinned_key_at_configuration_time() -> None:
    with pytest.raises(ValueError, match="not an OpenSSH public key"):
        SshLogin("root", "/nonexistent", "ssh-ed25519 not-base64")


async def test_it_lets_a_cancellation_from_outside_through(silent_listener: int) -> None:
    probing = asyncio.create_task(probe_ssh("127.0.0.1", silent_listener, timeout_s=5))
    await asyncio.sleep(0.1)  # connected, waiting for the banner

    probing.cancel()

    with pytest.raises(asyncio.CancelledError):
        await probing
