"""``faultdesk-agent check``: one pass over every probe, as a table for the installing engineer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent.cli import main

KEY = "ef" * 32


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _config(tmp_path: Path, url: str, probes: str = "", key_mode: int = 0o600) -> str:
    key = tmp_path / "host.key"
    key.write_text(KEY)
    key.chmod(key_mode)
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"collector_url: {url}\nhost_id: pbx-1\nkey_file: {key}\n"
        f"spool_dir: {tmp_path / 'spool'}\n{probes}"
    )
    return str(path)


def _rows(output: str) -> dict[str, str]:
    lines = output.splitlines()
    return {line.split()[0]: line.split()[1] for line in lines[1:] if not line.startswith(" ")}


def test_it_prints_one_row_per_probe_and_exits_zero_when_all_is_well(
    tmp_path: Path, collector_url: str, listener: int, capsys: pytest.CaptureFixture[str]
) -> None:
    probes = f"probes:\n  services:\n    ports: [{listener}]\n"
    assert main(["check", "--config", _config(tmp_path, collector_url, probes)]) == 0
    output = capsys.readouterr().out
    assert output.splitlines()[0].split() == ["PROBE", "STATUS", "DETAILS"]
    assert _rows(output) == {
        "system": "ok",
        "services": "ok",
        "key_file": "ok",
        "collector": "ok",
        "dead_letters": "ok",
    }
    assert "cpu " in output and "mem " in output and "/healthz answered HTTP 200" in output
    assert KEY not in output


def test_it_names_what_is_wrong_and_exits_one(
    tmp_path: Path, listener: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed = spare.getsockname()[1]
    probes = f"probes:\n  services:\n    ports: [{closed}]\n"
    config = _config(tmp_path, f"http://127.0.0.1:{closed}", probes, key_mode=0o644)
    assert main(["check", "--config", config]) == 1
    output = capsys.readouterr().out
    assert _rows(output) == {
        "system": "ok",
        "services": "critical",
        "key_file": "error",
        "collector": "error",
        "dead_letters": "ok",
    }
    assert f"error: down: port {closed}/tcp" in output
    assert "accessible by group or others (mode 0644)" in output
    assert "not reachable" in output


def test_it_carries_on_when_the_pbx_is_not_running(
    tmp_path: Path, collector_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("agent.probes.asterisk")
    secret = tmp_path / "ami.secret"
    secret.write_text("s3cret")
    secret.chmod(0o600)
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed = spare.getsockname()[1]
    probes = (
        f"probes:\n  asterisk:\n    port: {closed}\n    username: faultdesk\n"
        f"    secret_file: {secret}\n    timeout_s: 2\n"
    )
    assert main(["check", "--config", _config(tmp_path, collector_url, probes)]) == 1
    output = capsys.readouterr().out
    assert _rows(output)["asterisk"] == "critical"
    assert _rows(output)["system"] == "ok"
    assert "s3cret" not in output


def test_it_names_file_and_field_of_a_bad_config_and_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9", "interval_s: fast\n")
    assert main(["check", "--config", config]) == 2
    assert capsys.readouterr().err == (
        f"faultdesk-agent: {config}:5: interval_s: must be a number > 0\n"
    )


def test_it_refuses_to_run_with_a_bad_config_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml: cannot read config file" in capsys.readouterr().err
