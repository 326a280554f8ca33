"""Probe worker processes, so checks use every core and not only the collector's one.

A check's own cost is small (one connection, a few parsed bytes), but ten thousand a minute
keep one Python process busy; the collector also stores results and evaluates faults in that
process. :class:`ProbePool` starts ``workers`` processes (``collector.probes.worker``), each
with its own event loop and :class:`~collector.probes.runner.ProbeRunner` and its share of
``max_concurrency``. ``submit`` hands a batch of checks over, spread by how many each worker
has outstanding; outcomes come back in batches to the ``deliver`` callback. Batches both ways
keep the pipe at a few microseconds a check, where a round trip per check would cost more
than the check.

A worker that dies turns its outstanding checks into "unknown" outcomes (never evidence of an
outage) and is started again on the next ``submit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sys
from collections.abc import Callable, Sequence
from typing import cast

from collector.probes.runner import CheckOutcome, ProbeFailure
from collector.probes.worker import (
    FrameReader,
    PackedOutcome,
    frame,
    pack_check,
    unpack_outcome,
)
from collector.store.probe_results import HostCheck

log = logging.getLogger(__name__)

#: Checks per frame sent to a worker.
FRAME_CHECKS = 500
#: How long a worker gets to finish after its stdin is closed.
STOP_TIMEOUT_S = 5.0

#: Receives each outcome with the check and the seconds it waited for a free slot.
Deliver = Callable[[HostCheck, CheckOutcome, float], None]


class _WorkerProcess(asyncio.SubprocessProtocol):
    """One worker: its pipes and the checks it has not answered yet."""

    def __init__(self, deliver: Deliver) -> None:
        self.transport: asyncio.SubprocessTransport | None = None
        self.outstanding: dict[int, HostCheck] = {}
        self.alive = True
        self.closing = False
        self.exited = asyncio.get_running_loop().create_future()
        self.ready = asyncio.get_running_loop().create_future()
        self._deliver = deliver
        self._reader = FrameReader(self._received)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd == 1:
            self._reader.feed(data)

    def _received(self, outcomes: list[tuple[int, PackedOutcome, float]]) -> None:
        if not self.ready.done():
            self.ready.set_result(None)
        for request_id, outcome, waited_s in outcomes:
            check = self.outstanding.pop(request_id, None)
            if check is not None and not self.closing:
                self._deliver(check, unpack_outcome(outcome), waited_s)

    def send(self, requests: list[tuple[int, HostCheck]]) -> None:
        assert self.transport is not None
        stdin = cast(asyncio.WriteTransport | None, self.transport.get_pipe_transport(0))
        if stdin is None:
            return
        self.outstanding.update(requests)
        # In frames of FRAME_CHECKS, so the worker starts on the first while we pack the rest.
        for start in range(0, len(requests), FRAME_CHECKS):
            chunk = requests[start : start + FRAME_CHECKS]
            stdin.write(frame([(request_id, pack_check(check)) for request_id, check in chunk]))

    def process_exited(self) -> None:
        self.alive = False
        returncode = self.transport.get_returncode() if self.transport is not None else None
        outstanding, self.outstanding = self.outstanding, {}
        if outstanding and not self.closing:
            log.error(
                "probe worker exited (status %s) with %d checks outstanding",
                returncode,
                len(outstanding),
            )
            detail = f"probe worker exited (status {returncode}) before the check finished"
            for check in outstanding.values():
                self._deliver(check, ProbeFailure(check.kind, check.target, detail), 0.0)
        if not self.exited.done():
            self.exited.set_result(returncode)
        if not self.ready.done():
            self.ready.set_result(None)  # died starting: start() stops waiting for it


def share_out(outstanding: Sequence[int], shares: Sequence[int], count: int) -> list[int]:
    """How many of ``count`` new checks each worker takes: the least loaded (outstanding
    checks per slot of its share) first, until the loads even out. Within a check of handing
    them over one at a time to the least loaded, in a few steps per worker, not per check."""
    taking = set(range(len(shares)))
    while True:  # the level takers reach is checks / slots; a worker above it takes none
        checks = count + sum(outstanding[n] for n in taking)
        slots = sum(shares[n] for n in taking)
        above = {n for n in taking if outstanding[n] * slots > checks * shares[n]}
        if not above:
            break
        taking -= above
    counts = [
        checks * shares[n] // slots - outstanding[n] if n in taking else 0
        for n in range(len(shares))
    ]
    load = [(outstanding[n] + counts[n]) / shares[n] for n in range(len(shares))]
    for _ in range(count - sum(counts)):  # fewer than one per worker is left over
        n = min(taking, key=load.__getitem__)
        counts[n] += 1
        load[n] += 1 / shares[n]
    return counts


class ProbePool:
    """``workers`` probe processes sharing ``max_concurrency`` checks at once."""

    def __init__(
        self,
        workers: int,
        deliver: Deliver,
        *,
        max_concurrency: int = 100,
        log_level: str = "WARNING",
    ) -> None:
        if workers < 1:
            raise ValueError("a probe pool needs at least one worker")
        self._deliver = deliver
        # Each worker's share; together exactly max_concurrency (at least one each).
        self._shares = [
            max(max_concurrency // workers + (1 if n < max_concurrency % workers else 0), 1)
            for n in range(workers)
        ]
        self._log_level = log_level
        self._workers: list[_WorkerProcess | None] = [None] * workers
        self._ids = itertools.count()
        self._closed = False

    @property
    def size(self) -> int:
        return len(self._workers)

    @property
    def outstanding(self) -> int:
        """Checks handed to workers and not answered yet (running or waiting for a slot)."""
        return sum(len(w.outstanding) for w in self._workers if w is not None)

    def pids(self) -> list[int]:
        """Process ids of the live workers (the benchmark reads their CPU time)."""
        return [
            w.transport.get_pid()
            for w in self._workers
            if w is not None and w.alive and w.transport is not None
        ]

    async def start(self) -> None:
        """Start every worker not running and wait until they are ready; ``submit`` does this
        itself, so calling it first only moves the start-up cost (a second of imports)."""
        loop = asyncio.get_running_loop()
        started: list[_WorkerProcess] = []
        for n, worker in enumerate(self._workers):
            if worker is not None and worker.alive:
                continue
            if worker is not None and worker.transport is not None:
                worker.transport.close()  # a worker that died: its pipes go with it
            command = [
                sys.executable,
                "-m",
                "collector.probes.worker",
                "--concurrency",
                str(self._shares[n]),
                "--log-level",
                self._log_level,
            ]
            _transport, process = await loop.subprocess_exec(
                lambda: _WorkerProcess(self._deliver), *command, stdin=-1, stdout=-1, stderr=None
            )
            self._workers[n] = process
            started.append(process)
        for process in started:
            await process.ready

    async def submit(self, checks: Sequence[HostCheck]) -> None:
        """Hand ``checks`` over; each outcome goes to ``deliver`` when its batch comes back."""
        if self._closed:
            raise RuntimeError("probe pool closed")
        if not all(w is not None and w.alive for w in self._workers):
            await self.start()
        workers = [w for w in self._workers if w is not None and w.alive]
        if not workers:
            raise OSError("no probe worker is running")
        shares = [self._shares[self._workers.index(w)] for w in workers]
        counts = share_out([len(w.outstanding) for w in workers], shares, len(checks))
        ids, start = self._ids, 0
        for worker, count in zip(workers, counts, strict=True):
            if count:
                worker.send([(next(ids), check) for check in checks[start : start + count]])
                start += count

    async def close(self) -> None:
        """Stop the workers; outcomes not delivered yet are dropped."""
        self._closed = True
        for worker in self._workers:
            if worker is not None and worker.alive and worker.transport is not None:
                worker.closing = True
                stdin = worker.transport.get_pipe_transport(0)
                if stdin is not None:
                    stdin.close()
        for worker in self._workers:
            if worker is not None:
                await self._wait_or_kill(worker)
        self._workers = [None] * len(self._workers)

    @staticmethod
    async def _wait_or_kill(worker: _WorkerProcess) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(worker.exited), STOP_TIMEOUT_S)
        except TimeoutError:
            if worker.transport is not None:
                with contextlib.suppress(ProcessLookupError):
                    worker.transport.kill()
            await worker.exited
        if worker.transport is not None:
            worker.transport.close()
