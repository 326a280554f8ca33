"""AMI framing on one socket: CRLF-separated ``Key: Value`` messages in, answers and lists out."""

from __future__ import annotations

import socket
from collections.abc import Sequence

Message = list[tuple[str, str]]


class AmiConnection:
    """Reads whole messages off the socket and writes answers the way manager.c frames them."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def read_message(self) -> Message | None:
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        pairs = [line.partition(":") for line in raw.decode().split("\r\n") if line]
        return [(k.strip(), v.strip()) for k, _, v in pairs]

    def write(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def send(self, *blocks: str) -> None:
        self.write("".join(blocks))

    def error(self, aid: str, message: str) -> None:
        self.send("Response: Error\r\n", aid, f"Message: {message}\r\n\r\n")

    def send_list(self, aid: str, intro: str, events: list[str], complete: str) -> None:
        """``astman_send_listack`` … events … ``astman_send_list_complete_start/end``."""
        self.send("Response: Success\r\n", aid, f"EventList: start\r\nMessage: {intro}\r\n\r\n")
        for event in events:
            self.send(event)
        self.send(
            f"Event: {complete}\r\n",
            aid,
            f"EventList: Complete\r\nListItems: {len(events)}\r\n\r\n",
        )


def event_block(name: str, aid: str, pairs: Sequence[tuple[str, object]]) -> str:
    """One ``Event:`` block, its ActionID right after the event name as manager.c puts it."""
    body = "".join(f"{key}: {value}\r\n" for key, value in pairs)
    return f"Event: {name}\r\n{aid}{body}\r\n"
