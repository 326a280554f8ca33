"""A real Kamailio on a loopback port, scripted by the Request-URI user.

``sip:ok@`` answers 200, ``auth`` 401, ``missing`` 404, ``busy`` 503, ``trying`` a 100 then a
200, ``drop`` nothing at all; any other user (or none) gets 200. It listens on the same port over
UDP and TCP. Use it from a test module's own fixture::

    @pytest.fixture(scope="module")
    def kamailio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamailioServer]:
        with running_kamailio(tmp_path_factory.mktemp("kamailio")) as server:
            yield server
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

KAMAILIO = Path("/usr/sbin/kamailio")
MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
HOST = "127.0.0.1"
_START_ATTEMPTS = 3
_READY_TIMEOUT_S = 10.0

_CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
dns=no
rev_dns=no
listen=udp:{host}:{port}
listen=tcp:{host}:{port}
mpath="{modules}"
loadmodule "pv.so"
loadmodule "sl.so"
loadmodule "textops.so"

request_route {{
    if ($rU == "drop") {{
        drop;
    }}
    if ($rU == "auth") {{
        append_to_reply("WWW-Authenticate: Digest realm=\\"test\\", nonce=\\"0f1e\\"\\r\\n");
        sl_send_reply("401", "Unauthorized");
        exit;
    }}
    if ($rU == "missing") {{
        sl_send_reply("404", "Not Found");
        exit;
    }}
    if ($rU == "busy") {{
        sl_send_reply("503", "Service Unavailable");
        exit;
    }}
    if ($rU == "trying") {{
        sl_send_reply("100", "Trying");
        sl_send_reply("200", "OK");
        exit;
    }}
    sl_send_reply("200", "OK");
}}
"""


@dataclass(frozen=True)
class KamailioServer:
    """Where the test Kamailio listens (UDP and TCP on the same port)."""

    host: str
    port: int


def require_kamailio() -> Path:
    """The Kamailio binary; a failure under CI, a skip on a developer machine without it."""
    if KAMAILIO.exists() and os.access(KAMAILIO, os.X_OK):
        return KAMAILIO
    message = f"{KAMAILIO} is not installed (apt-get install kamailio)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def running_kamailio(workdir: Path, port: int | None = None) -> Iterator[KamailioServer]:
    """Start Kamailio in ``workdir`` on a free port (or ``port``: the one a stopped Kamailio
    had, to start it again where its clients look), wait until it answers, stop it after."""
    binary = require_kamailio()
    failures: list[str] = []
    chosen = port
    for attempt in range(_START_ATTEMPTS):
        port = chosen or _free_udp_and_tcp_port()
        process, log_path = _start(binary, workdir / f"run{attempt}", port)
        server = KamailioServer(HOST, port)
        try:
            if _wait_until_ready(server, process):
                yield server
                return
            failures.append(_log_tail(log_path))
        finally:
            _stop(process)
    pytest.fail("kamailio did not start:\n" + "\n---\n".join(failures))


def _start(binary: Path, rundir: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    rundir.mkdir(parents=True, exist_ok=True)
    config = rundir / "kamailio.cfg"
    config.write_text(_CONFIG.format(host=HOST, port=port, modules=MODULES))
    log_path = rundir / "kamailio.log"
    # -DD: stay in the foreground so the test owns the process; -E: log to stderr; -Y: keep
    # runtime files in the temp dir; small shared/private memory since many tests run at once.
    command = [str(binary), "-DD", "-E", "-f", str(config), "-P", str(rundir / "kamailio.pid")]
    command += ["-Y", str(rundir), "-m", "16", "-M", "4"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its worker children share our group id for the cleanup
        )
    return process, log_path


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets Kamailio stop its own workers; SIGKILL the group if it hangs."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _free_udp_and_tcp_port() -> int:
    """A loopback port free for both UDP and TCP at this instant."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((HOST, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no loopback port free for both UDP and TCP")


def _wait_until_ready(server: KamailioServer, process: subprocess.Popen[bytes]) -> bool:
    """Poll with a hand-built OPTIONS (independent of the code under test) until 200."""
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.2)
            try:
                sock.connect((server.host, server.port))
                sock.send(_readiness_options(server, sock.getsockname()[1]))
                if sock.recv(65535).startswith(b"SIP/2.0 200"):
                    return True
            except OSError:  # refused or timed out: not listening yet
                time.sleep(0.05)
    return False


def _readiness_options(server: KamailioServer, local_port: int) -> bytes:
    uri = f"sip:ok@{server.host}:{server.port}"
    return (
        f"OPTIONS {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {HOST}:{local_port};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:ready@{HOST}>;tag={secrets.token_hex(4)}\r\n"
        f"To: <{uri}>\r\n"
        f"Call-ID: {secrets.token_hex(8)}@{HOST}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"
