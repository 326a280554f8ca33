"""CRLF-terminated lines from the AMI socket, each read bounded by the current deadline.

A deadline rather than a per-``recv`` timeout: a PBX that trickles bytes must not keep one
action waiting forever. The push-back exists for the legacy ``Response: Follows`` form, whose
end can only be found by reading one line past it.
"""

from __future__ import annotations

import socket
import time
from collections import deque

from agent.probes.ami.errors import AmiConnectionError

_RECV_BYTES = 65536
_MAX_LINE_BYTES = 1024 * 1024


class LineReader:
    """CRLF-terminated lines from a socket, with a deadline and a one-line push-back."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""
        self._pushed: deque[str] = deque()
        self.deadline = time.monotonic()

    def push_back(self, line: str) -> None:
        self._pushed.appendleft(line)

    def readline(self) -> str:
        if self._pushed:
            return self._pushed.popleft()
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > _MAX_LINE_BYTES:
                raise AmiConnectionError("AMI sent a line longer than 1 MiB")
            self._buffer += self._recv()
        raw, _, self._buffer = self._buffer.partition(b"\r\n")
        return raw.decode("utf-8", errors="replace")

    def _recv(self) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise AmiConnectionError("timed out waiting for Asterisk")
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(_RECV_BYTES)
        except TimeoutError as exc:
            raise AmiConnectionError("timed out waiting for Asterisk") from exc
        except OSError as exc:
            raise AmiConnectionError(f"AMI connection failed: {exc.strerror or exc}") from exc
        if not chunk:
            raise AmiConnectionError("Asterisk closed the AMI connection")
        return chunk
