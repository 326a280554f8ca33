"""Sending one report: signing, TLS verification, and what each answer means for a retry."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent import protocol
from agent.sender import (
    HttpClient,
    Outcome,
    Sender,
    backoff_delay,
    check_collector,
    https_proxy,
    parse_retry_after,
)

KEY = b"ab" * 32
BODY = b'{"host":"pbx-1","seq":41}'


@dataclass
class Answer:
    status: int
    body: bytes = b'{"seq": 41}'
    headers: dict[str, str] = field(default_factory=dict)


class Collector(ThreadingHTTPServer):
    """Answers each POST with the next scripted answer and keeps what it received."""

    daemon_threads = True

    def __init__(self, answers: list[Answer]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers = answers
        self.received: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        scheme = "https" if isinstance(self.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        self._answer(self.server.answers.pop(0))

    def do_GET(self) -> None:
        self._answer(Answer(200, b'{"status": "ok"}'))

    def _answer(self, answer: Answer) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.headers.get("Transfer-Encoding") == "chunked":
            self.end_headers()
            half = len(answer.body) // 2
            for chunk in (answer.body[:half], answer.body[half:], b""):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            return
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[list[Collector]]:
    started: list[Collector] = []
    yield started
    for server in started:
        server.shutdown()
        server.server_close()


def _start(
    serve: list[Collector], *answers: Answer, tls: ssl.SSLContext | None = None
) -> Collector:
    server = Collector(list(answers))
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    serve.append(server)
    return server


def _sender(url: str, **kwargs: object) -> Sender:
    return Sender(url, "pbx-1", KEY, timeout_s=5, clock=lambda: 1_800_000_000.0, **kwargs)  # type: ignore[arg-type]


def test_it_delivers_a_signed_report_with_a_fresh_timestamp(serve: list[Collector]) -> None:
    server = _start(serve, Answer(201))
    result = _sender(server.url).send(BODY)
    assert result.outcome is Outcome.DELIVERED and result.status == 201
    headers, body = server.received[0]
    assert body == BODY
    assert headers[protocol.HOST_HEADER] == "pbx-1"
    assert headers[protocol.TIMESTAMP_HEADER] == "1800000000"
    assert protocol.signature_matches(KEY, 1_800_000_000, body, headers[protocol.SIGNATURE_HEADER])


@pytest.mark.parametrize("status", [400, 413])
def test_it_gives_up_on_a_report_refused_for_what_it_is(
    serve: list[Collector], status: int
) -> None:
    server = _start(serve, Answer(status, json.dumps({"error": "probes: invalid"}).encode()))
    result = _sender(server.url).send(BODY)
    assert (result.outcome, result.status, result.detail) == (
        Outcome.REFUSED,
        status,
        "probes: invalid",
    )


@pytest.mark.parametrize("status", [401, 403, 404, 408, 409])
def test_it_retries_a_refusal_that_may_not_be_the_reports_fault(
    serve: list[Collector], status: int
) -> None:
    server = _start(serve, Answer(status, json.dumps({"error": "bad signature"}).encode()))
    result = _sender(server.url).send(BODY)
    assert (result.outcome, result.status, result.detail) == (
        Outcome.RETRY,
        status,
        "bad signature",
    )


def test_it_retries_after_the_time_a_busy_collector_asks_for(serve: list[Collector]) -> None:
    server = _start(serve, Answer(429, b"{}", {"Retry-After": "7"}))
    result = _sender(server.url).send(BODY)
    assert (result.outcome, result.retry_after_s) == (Outcome.RETRY, 7.0)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_it_retries_server_errors(serve: list[Collector], status: int) -> None:
    server = _start(serve, Answer(status, b"database is down"))
    result = _sender(server.url).send(BODY)
    assert (result.outcome, result.detail) == (Outcome.RETRY, "database is down")


def test_it_reads_a_chunked_answer(serve: list[Collector]) -> None:
    answer = json.dumps({"reason": "host: unknown"}).encode()
    server = _start(serve, Answer(400, answer, {"Transfer-Encoding": "chunked"}))
    result = _sender(server.url).send(BODY)
    assert (result.outcome, result.detail) == (Outcome.REFUSED, "host: unknown")


def test_it_retries_when_the_answer_is_not_http() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def babble() -> None:
            peer, _ = listener.accept()
            with peer:
                peer.recv(65536)
                peer.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

        threading.Thread(target=babble, daemon=True).start()
        result = _sender(f"http://127.0.0.1:{listener.getsockname()[1]}").send(BODY)
    assert (result.outcome, result.status) == (Outcome.RETRY, None)
    assert "not HTTP" in result.detail


def test_it_does_not_follow_a_redirect(serve: list[Collector]) -> None:
    server = _start(serve, Answer(302, b"", {"Location": "http://127.0.0.1:9/elsewhere"}))
    result = _sender(server.url).send(BODY)
    assert result.outcome is Outcome.RETRY
    assert "collector_url needs correcting" in result.detail
    assert len(server.received) == 1


def test_it_retries_when_nobody_answers(serve: list[Collector]) -> None:
    server = _start(serve)
    url = server.url
    server.shutdown()
    server.server_close()
    serve.clear()
    result = _sender(url).send(BODY)
    assert (result.outcome, result.status) == (Outcome.RETRY, None)
    assert "refused" in result.detail.lower()


def test_it_never_shows_the_key() -> None:
    sender = _sender("http://127.0.0.1:9")
    assert "abab" not in repr(sender) and "abab" not in str(vars(sender).get("url"))


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("openssl is needed to make a test certificate (apt-get install openssl)")
        pytest.skip("openssl not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_it_verifies_the_collector_with_the_ca_bundle(
    serve: list[Collector], tls_files: tuple[Path, Path]
) -> None:
    server = _start(serve, Answer(200), tls=_tls(*tls_files))
    result = _sender(server.url, ca_bundle=tls_files[0]).send(BODY)
    assert result.outcome is Outcome.DELIVERED


def test_it_refuses_a_certificate_it_cannot_verify(
    serve: list[Collector], tls_files: tuple[Path, Path]
) -> None:
    server = _start(serve, Answer(200), tls=_tls(*tls_files))
    result = _sender(server.url).send(BODY)
    assert result.outcome is Outcome.RETRY
    assert "CERTIFICATE_VERIFY_FAILED" in result.detail
    assert server.received == []


def _connect_proxy(seen: list[str]) -> socket.socket:
    """A minimal HTTP CONNECT proxy that relays one tunnel."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def relay(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def serve() -> None:
        client, _ = listener.accept()
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += client.recv(1)
        seen.append(head.decode().splitlines()[0])
        host, _, port = head.split()[1].decode().rpartition(":")
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        back = threading.Thread(target=relay, args=(upstream, client))
        back.start()
        relay(client, upstream)
        back.join()
        client.close()
        upstream.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener


def test_it_tunnels_tls_through_a_connect_proxy(
    serve: list[Collector], tls_files: tuple[Path, Path]
) -> None:
    server = _start(serve, Answer(200, b"{}"), tls=_tls(*tls_files))
    seen: list[str] = []
    with _connect_proxy(seen) as proxy:
        client = HttpClient(
            server.url, 5, tls_files[0], proxy=("127.0.0.1", proxy.getsockname()[1])
        )
        status, _, _ = client.exchange("POST", BODY)
    assert status == 200
    assert seen == [f"CONNECT 127.0.0.1:{server.server_address[1]} HTTP/1.1"]
    assert server.received[0][1] == BODY


def test_it_takes_the_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("no_proxy", "internal.example, .corp.example")
    assert https_proxy("collector.example.net") == ("proxy.example", 3128)
    assert https_proxy("faultdesk.corp.example") is None
    assert https_proxy("internal.example") is None
    assert https_proxy("127.0.0.1") is None


def test_it_checks_the_collector_health_endpoint(serve: list[Collector]) -> None:
    server = _start(serve)
    assert check_collector(server.url, 5, None).endswith("/healthz answered HTTP 200")


def test_it_reads_retry_after_as_seconds_or_a_date() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:10 GMT", now=1792567680.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("999999") == 3600.0


def test_it_backs_off_exponentially_with_jitter_up_to_a_cap() -> None:
    assert backoff_delay(1, 1.0, 60.0, lambda: 1.0) == 1.0
    assert backoff_delay(4, 1.0, 60.0, lambda: 1.0) == 8.0
    assert backoff_delay(4, 1.0, 60.0, lambda: 0.0) == 4.0
    assert backoff_delay(50, 1.0, 60.0, lambda: 1.0) == 60.0
