"""A real OpenSSH ``sshd`` on a loopback port, with throw-away host and client keys.

Runs as the current user (root included: ``PermitRootLogin prohibit-password``). Logs at DEBUG1
to a file so tests can see what the server saw, e.g. that no authentication was attempted.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import free_port

SSHD = "/usr/sbin/sshd"
#: sshd refuses to start without its privilege-separation directory.
PRIVSEP_DIR = Path("/run/sshd")
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Sshd:
    host: str
    port: int
    host_key_line: str  # "ssh-ed25519 AAAA…", what ssh-keyscan would print after the host name
    client_key_path: Path  # private key whose public half is in authorized_keys
    username: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, count: int = 1, timeout_s: float = 10.0) -> str:
        """Wait for ``count`` occurrences of ``text`` (sshd writes its log asynchronously)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            log = self.log()
            if log.count(text) >= count:
                return log
            time.sleep(0.02)
        raise AssertionError(f"{text!r} not in sshd log:\n{self.log()}")


def require_binary(path: str) -> None:
    """Missing binaries fail under CI (the image must have them) and skip elsewhere."""
    if shutil.which(path) is not None:
        return
    message = f"{path} is not installed (apt-get install openssh-server)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def generate_keypair(directory: Path, name: str, key_type: str = "ed25519") -> Path:
    """An unencrypted key pair ``name`` and ``name.pub``; returns the private key path."""
    require_binary("ssh-keygen")
    path = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-C", name, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


def public_key_line(private_key_path: Path) -> str:
    """``<type> <base64>`` of the key pair's public half, without the comment."""
    fields = private_key_path.with_suffix(".pub").read_text().split()
    return f"{fields[0]} {fields[1]}"


@contextlib.contextmanager
def running_sshd(directory: Path) -> Iterator[Sshd]:
    """Start sshd in ``directory`` on a free 127.0.0.1 port; stop it on exit."""
    require_binary(SSHD)
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    host_key = generate_keypair(directory, "ssh_host_ed25519_key")
    client_key = generate_keypair(directory, "client_ed25519")
    authorized_keys = directory / "authorized_keys"
    authorized_keys.write_text(client_key.with_suffix(".pub").read_text())
    log_path = directory / "sshd.log"
    port = free_port()
    config = directory / "sshd_config"
    config.write_text(_config_text(port, host_key, authorized_keys, directory))
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)], stdout=log_file, stderr=log_file
        )
    try:
        _wait_until_listening(process, port, log_path)
        yield Sshd(
            host="127.0.0.1",
            port=port,
            host_key_line=public_key_line(host_key),
            client_key_path=client_key,
            username=getpass.getuser(),
            log_path=log_path,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _config_text(port: int, host_key: Path, authorized_keys: Path, directory: Path) -> str:
    return "\n".join(
        [
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"PidFile {directory / 'sshd.pid'}",
            f"AuthorizedKeysFile {authorized_keys}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "StrictModes no",
            "UsePAM no",
            "UseDNS no",
            "PrintMotd no",
            "LogLevel DEBUG1",
            "",
        ]
    )


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sshd exited with {process.returncode}:\n{log_path.read_text()}")
        # The log line means the socket is bound and listening; connecting would add noise.
        if f"listening on 127.0.0.1 port {port}" in log_path.read_text(errors="replace"):
            return
        time.sleep(0.02)
    pytest.fail(f"sshd did not start listening within {START_TIMEOUT_S:g} s")
