"""Loopback endpoints for bench/probes.py, in Python (``probe_endpoints.c`` is the same in C).

    python bench/probe_endpoints.py PORTS_PER_KIND

Listens on PORTS_PER_KIND ports for each kind and prints ``{"ssh": [...], "http": [...]}``.
SSH ports send an identification line on accept and close once the client has spoken (or hung
up); HTTP ports answer the first request with a fixed 200 and close. Stops when stdin reaches
end of file. A plain epoll loop rather than asyncio: the server shares the cores with both
contestants, so the less it costs the more the comparison is about the probers.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sys
import threading

BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
HTTP_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
    b"Connection: close\r\n\r\nFaultdesk bench ok"
)


def serve(ports_per_kind: int) -> None:
    """Listen on ``ports_per_kind`` ports per kind; print them as JSON; stop when stdin closes."""
    poller = select.epoll()
    listeners: dict[int, tuple[socket.socket, bool]] = {}  # fd -> (socket, speaks first)
    ports: dict[str, list[int]] = {"ssh": [], "http": []}
    for kind in ports:
        for _ in range(ports_per_kind):
            listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
            listener.setblocking(False)
            listeners[listener.fileno()] = (listener, kind == "ssh")
            ports[kind].append(listener.getsockname()[1])
            poller.register(listener.fileno(), select.EPOLLIN)
    stop_read, stop_write = os.pipe()
    poller.register(stop_read, select.EPOLLIN)
    threading.Thread(
        target=lambda: (sys.stdin.read(), os.write(stop_write, b".")), daemon=True
    ).start()
    sys.stdout.write(json.dumps(ports) + "\n")
    sys.stdout.flush()
    connections: dict[int, tuple[socket.socket, bytes | None]] = {}
    while True:
        for fd, _event in poller.poll():
            if fd == stop_read:
                return
            if fd in listeners:
                _accept(poller, *listeners[fd], connections)
            else:
                _answer(poller, fd, connections)


def _wait_for_stdin_eof(stop_write: int) -> None:
    sys.stdin.read()
    os.write(stop_write, b".")


def _accept(
    poller: select.epoll,
    listener: socket.socket,
    ssh: bool,
    connections: dict[int, tuple[socket.socket, bytes | None]],
) -> None:
    while True:
        try:
            connection, _address = listener.accept()
        except BlockingIOError:
            return
        connection.setblocking(False)
        if ssh:
            connection.send(BANNER)
        # SSH: wait for the client's identification (or its hang-up); HTTP: for the request.
        connections[connection.fileno()] = (connection, None if ssh else b"")
        poller.register(connection.fileno(), select.EPOLLIN)


def _answer(
    poller: select.epoll, fd: int, connections: dict[int, tuple[socket.socket, bytes | None]]
) -> None:
    connection, request = connections[fd]
    try:
        data = connection.recv(65536)
    except OSError:
        data = b""
    if request is not None and data:
        request += data
        if b"\r\n\r\n" not in request:
            connections[fd] = (connection, request)
            return
        with contextlib.suppress(OSError):
            connection.send(HTTP_RESPONSE)
    del connections[fd]
    poller.unregister(fd)
    connection.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
