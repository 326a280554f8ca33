"""``faultdesk-collector probe …``: one plugin-style line and the plugin exit code."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.sshd import Sshd, generate_keypair, public_key_line, running_sshd

pytestmark = pytest.mark.integration


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = {"/": 200, "/broken": 500}.get(self.path, 404)
        body = b"Welcome" if status == 200 else b"no"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output to the probe's own line


@pytest.fixture
def web_url() -> Iterator[str]:
    """A plain HTTP server in a thread: the command runs its own event loop."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    with running_sshd(tmp_path) as server:
        yield server


@pytest.fixture
def probe(cli: Cli) -> Cli:
    return cli.without_config().under("probe")


def test_it_exits_0_with_a_plugin_line_for_an_open_port(probe: Cli, listening_port: int) -> None:
    code, out, _ = probe("tcp", f"127.0.0.1:{listening_port}")

    assert code == 0
    assert out.startswith(f"TCP OK - port {listening_port} open in ")
    assert " ms | time=" in out
    assert out.count("\n") == 1


def test_it_exits_2_for_a_closed_port(probe: Cli, closed_port: int) -> None:
    code, out, _ = probe("tcp", f"127.0.0.1:{closed_port}")

    assert code == 2
    assert out == "TCP CRITICAL - connection refused\n"


def test_it_exits_0_1_2_for_http_ok_client_error_and_server_error(probe: Cli, web_url: str) -> None:
    assert probe("http", web_url + "/", "--expect-text", "Welcome").code == 0
    code, out, _ = probe("http", web_url + "/nowhere")
    assert (code, out.split(" in ")[0]) == (1, "HTTP WARNING - 404 Not Found")
    code, out, _ = probe("http", web_url + "/broken")
    assert (code, out.split(" in ")[0]) == (2, "HTTP CRITICAL - 500 Internal Server Error")


def test_it_passes_http_options_through(probe: Cli, web_url: str) -> None:
    code, out, _ = probe("http", web_url + "/nowhere", "--expect-status", "404,410")

    assert code == 0, out


def test_it_exits_0_for_an_ssh_banner(probe: Cli, sshd: Sshd) -> None:
    code, out, _ = probe("ssh", f"{sshd.host}:{sshd.port}")

    assert code == 0
    assert out.startswith("SSH OK - SSH-2.0-OpenSSH_")


def test_it_logs_in_with_a_host_key_read_from_a_file(
    probe: Cli, sshd: Sshd, tmp_path: Path
) -> None:
    keyscan = tmp_path / "keyscan.txt"
    keyscan.write_text(f"# 127.0.0.1 SSH-2.0-OpenSSH\n127.0.0.1 {sshd.host_key_line}\n")

    code, out, _ = probe(
        "ssh",
        f"{sshd.host}:{sshd.port}",
        "--user",
        sshd.username,
        "--key",
        str(sshd.client_key_path),
        "--host-key",
        str(keyscan),
    )

    assert code == 0, out
    assert out.startswith(f"SSH OK - logged in as {sshd.username}, SSH-2.0-OpenSSH_")


def test_it_exits_2_when_the_host_key_changed(probe: Cli, sshd: Sshd, tmp_path: Path) -> None:
    old_key = public_key_line(generate_keypair(tmp_path, "old_host_key"))

    code, out, _ = probe(
        "ssh",
        f"{sshd.host}:{sshd.port}",
        "--user",
        sshd.username,
        "--key",
        str(sshd.client_key_path),
        "--host-key",
        old_key,
    )

    assert code == 2
    assert out.startswith("SSH CRITICAL - host key changed: server presented SHA256:")


def test_it_runs_the_sip_probe(probe: Cli, closed_port: int) -> None:
    code, out, _ = probe("sip", f"127.0.0.1:{closed_port}", "--timeout", "0.5")

    assert code == 2
    assert out.startswith("SIP CRITICAL - ")


@pytest.mark.parametrize(
    "argv",
    [
        ["tcp", "127.0.0.1"],  # no port
        ["tcp", "127.0.0.1:99999"],
        ["http", "ftp://example.com/"],
        ["http", "http://127.0.0.1/", "--expect-status", "ok"],
        ["smtp", "127.0.0.1"],
        [],
    ],
)
def test_it_exits_3_on_a_usage_error(probe: Cli, argv: list[str]) -> None:
    assert probe(*argv).code == 3


def test_it_exits_3_when_a_login_lacks_its_key(probe: Cli) -> None:
    refused = probe("ssh", "127.0.0.1", "--user", "root")

    assert refused.code == 3
    assert "--user and --key go together" in refused.err


def test_it_refuses_a_key_login_without_a_host_key_unless_told_to_trust_any(
    probe: Cli, sshd: Sshd
) -> None:
    login = ["--user", sshd.username, "--key", str(sshd.client_key_path)]
    refused = probe("ssh", f"{sshd.host}:{sshd.port}", *login)
    assert refused.code == 3
    assert "needs --host-key" in refused.err

    code, out, _ = probe("ssh", f"{sshd.host}:{sshd.port}", *login, "--trust-any-host-key")
    assert code == 0, out
    assert out.startswith(f"SSH OK - logged in as {sshd.username}")
