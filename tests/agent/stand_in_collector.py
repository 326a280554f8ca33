"""A stand-in for the collector's report endpoint: verify, store each seq once, answer it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent import protocol


class StandInCollector:
    """``POST /api/v1/reports`` like the collector: verify, store each seq once, answer seq."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.stored: list[int] = []
        self.posts: list[int] = []
        self.refusals: dict[int, tuple[int, str]] = {}  # seq: (HTTP status, reason)
        self.lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen (again, on the same port after a stop)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        timestamp = int(headers.get(protocol.TIMESTAMP_HEADER, "0"))
        signature = headers.get(protocol.SIGNATURE_HEADER, "")
        if abs(time.time() - timestamp) > protocol.MAX_CLOCK_SKEW_S or not (
            protocol.signature_matches(self.key, timestamp, body, signature)
        ):
            return 401, {"reason": "bad signature"}
        seq = json.loads(body)["seq"]
        with self.lock:
            self.posts.append(seq)
            if seq in self.refusals:
                status, reason = self.refusals[seq]
                return status, {"error": reason}
            if seq not in self.stored:
                self.stored.append(seq)
        return 200, {"seq": seq}


def _handler_for(collector: StandInCollector) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, answer = collector.answer(self.headers, body)
            raw = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
