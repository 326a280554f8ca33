"""A probe worker process: runs the checks the collector sends it on its own event loop.

Started by ``collector.probes.pool`` as ``python -m collector.probes.worker``. Both directions
of its stdin/stdout carry frames (see :func:`frame`): the collector sends lists of
``(request id, packed HostCheck)``, the worker answers with lists of ``(request id, packed
outcome, seconds the check waited for a slot)``; packed means a plain tuple, which pickles
four times faster than the dataclass. At most ``--concurrency`` checks run at once, the others wait
their turn here. Outcomes leave in batches (every ``FLUSH_S`` or ``FLUSH_COUNT``, whichever
comes first): the scheduler stores results once a second anyway, and one frame per check would
cost more in pipe writes and wake-ups than the check itself. An empty first frame says the
worker is ready. Closing stdin stops the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import pickle
import signal
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from collector.probes.base import ProbeResult, Verdict
from collector.probes.runner import CheckOutcome, ProbeFailure, ProbeRunner
from collector.runtime.loop import run
from collector.store.probe_results import HostCheck

log = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
FLUSH_S = 0.02
FLUSH_COUNT = 500


def frame(items: list[Any]) -> bytes:
    """A length-prefixed pickle: the channel is a pipe between two processes of ours."""
    body = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


PackedCheck = tuple[int, str, str, str, str, dict[str, Any], float, bool]
PackedOutcome = tuple[bool, str, str, str, float | None, str, dict[str, Any]]
_VERDICTS = {verdict.value: verdict for verdict in Verdict}


def pack_check(check: HostCheck) -> PackedCheck:
    return (
        check.id,
        check.host_id,
        check.kind,
        check.name,
        check.target,
        check.options,
        check.interval_s,
        check.enabled,
    )


def pack_outcome(outcome: CheckOutcome) -> PackedOutcome:
    """``(is a ProbeResult, kind, target, verdict, latency_ms, detail, data)``."""
    is_result = isinstance(outcome, ProbeResult)
    verdict = str(outcome.verdict)
    return (
        is_result,
        outcome.kind,
        outcome.target,
        verdict,
        outcome.latency_ms,
        outcome.detail,
        outcome.data,
    )


def unpack_outcome(packed: PackedOutcome) -> CheckOutcome:
    is_result, kind, target, verdict, latency_ms, detail, data = packed
    if is_result:
        return ProbeResult(kind, target, _VERDICTS[verdict], latency_ms, detail, data)
    return ProbeFailure(kind, target, detail, _VERDICTS[verdict], latency_ms, data)


class FrameReader:
    """Splits a byte stream back into the lists :func:`frame` packed."""

    def __init__(self, deliver: Callable[[list[Any]], None]) -> None:
        self._deliver = deliver
        self._buffer = b""

    def feed(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        start = 0
        while len(buffer) - start >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(buffer, start)
            end = start + _LENGTH.size + size
            if len(buffer) < end:
                break
            self._deliver(pickle.loads(buffer[start + _LENGTH.size : end]))
            start = end
        self._buffer = buffer[start:]


class _Requests(asyncio.Protocol):
    """stdin: frames of checks to run; end of file means stop."""

    def __init__(self, worker: Worker) -> None:
        self._reader = FrameReader(worker.start)
        self._worker = worker

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._worker.stopped.set()


class Worker:
    """Runs queued checks on at most ``concurrency`` lanes; outcomes go back in batches.

    A lane is a task taking checks from the queue until it is empty, so ten thousand checks
    cost as many tasks as there are lanes, not one each.
    """

    def __init__(
        self, send: Callable[[bytes], None], runner: ProbeRunner, concurrency: int
    ) -> None:
        self._send = send
        self._runner = runner
        self._concurrency = concurrency
        self._queue: deque[tuple[int, HostCheck, float]] = deque()
        self._outbox: list[tuple[int, PackedOutcome, float]] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._lanes: set[asyncio.Task[None]] = set()
        self.stopped = asyncio.Event()

    def start(self, requests: list[tuple[int, PackedCheck]]) -> None:
        received = time.monotonic()
        self._queue.extend(
            (request_id, HostCheck(*fields), received) for request_id, fields in requests
        )
        while len(self._lanes) < min(self._concurrency, len(self._queue)):
            lane = asyncio.create_task(self._lane())
            self._lanes.add(lane)
            lane.add_done_callback(self._lanes.discard)

    async def _lane(self) -> None:
        while self._queue:
            request_id, check, received = self._queue.popleft()
            waited_s = time.monotonic() - received
            outcome = await self._runner.run(check)  # never raises: the runner is the boundary
            self._outbox.append((request_id, pack_outcome(outcome), waited_s))
            if len(self._outbox) >= FLUSH_COUNT:
                self._flush()
            elif self._flush_timer is None:
                self._flush_timer = asyncio.get_running_loop().call_later(FLUSH_S, self._flush)

    def _flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        outbox, self._outbox = self._outbox, []
        if outbox:
            self._send(frame(outbox))

    async def stop(self) -> None:
        self._queue.clear()
        for lane in list(self._lanes):
            lane.cancel()
        await asyncio.gather(*self._lanes, return_exceptions=True)
        await self._runner.close()


async def serve(concurrency: int) -> None:
    loop = asyncio.get_running_loop()
    write_transport, _ = await loop.connect_write_pipe(asyncio.Protocol, sys.stdout.buffer)
    # The lanes bound how many checks run at once, so the HTTP session needs no cap of its own.
    worker = Worker(write_transport.write, ProbeRunner(http_limit=0), concurrency)
    await loop.connect_read_pipe(lambda: _Requests(worker), sys.stdin.buffer)
    # The modules imported at start-up (pydantic, asyncssh, cryptography) live as long as the
    # worker: out of the garbage collector's full passes, which would otherwise walk them
    # every few thousand checks.
    gc.freeze()
    write_transport.write(frame([]))  # ready: imports done, loop running
    await worker.stopped.wait()
    await worker.stop()
    write_transport.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Faultdesk probe worker (started by the collector)"
    )
    parser.add_argument("--concurrency", type=int, default=50, help="checks running at once")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    # The collector stops its workers by closing their stdin, also when it dies itself. A Ctrl-C
    # in its terminal, or systemd signalling the whole service, must not kill them first and
    # turn the checks they are running into "worker exited" noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s probe-worker %(name)s: %(message)s",
    )
    run(serve(args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
