"""A TLS-terminating relay on 127.0.0.1 that trickles what it forwards: a streaming reverse
proxy on a slow link, in front of a collector that listens on plain HTTP.

Clients connect with TLS (a self-signed certificate for 127.0.0.1, made here with
``cryptography``); the relay forwards the decrypted bytes to the target as they come, cut into
pieces of at most ``piece_bytes`` with ``pause_s`` between them, so the collector sees a
request body arrive in many reads, as it does behind a real proxy. Answers go back unchanged.
It runs on the event loop of the test that starts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path


class TlsRelay:
    def __init__(
        self,
        target_port: int,
        cert: Path,
        key: Path,
        *,
        piece_bytes: int = 65536,
        pause_s: float = 0.0,
    ) -> None:
        self._target_port = target_port
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self.piece_bytes = piece_bytes
        self.pause_s = pause_s
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "the relay is not listening"
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, ssl=self._context)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self._target_port)
        request = asyncio.create_task(self._pump(client_r, upstream_w, trickle=True))
        answer = asyncio.create_task(self._pump(upstream_r, client_w, trickle=False))
        self._tasks.update((request, answer))
        try:
            # Until the collector closes its side: then the exchange is over.
            await asyncio.gather(answer, return_exceptions=True)
        finally:
            request.cancel()
            await asyncio.gather(request, return_exceptions=True)
            self._tasks.difference_update((request, answer))
            for writer in (client_w, upstream_w):
                writer.close()
                with contextlib.suppress(ConnectionError, ssl.SSLError):
                    await writer.wait_closed()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, trickle: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                pieces = [data]
                if trickle:
                    size = self.piece_bytes
                    pieces = [data[i : i + size] for i in range(0, len(data), size)]
                for piece in pieces:
                    writer.write(piece)
                    await writer.drain()
                    if trickle and self.pause_s:
                        await asyncio.sleep(self.pause_s)
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, ssl.SSLError):
            pass
