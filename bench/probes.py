"""Probe throughput: Faultdesk's SSH-banner and HTTP probes next to Debian's monitoring plugins
(``check_ssh``, ``check_http`` from monitoring-plugins-basic) over the same loopback endpoints,
at the same parallelism, in one run.

    .venv/bin/python bench/probes.py                   # 500 + 500 checks, a few seconds
    .venv/bin/python bench/probes.py --n 10000         # the goal

Faultdesk's side is the collector's own probe path: the checks are ``HostCheck`` rows handed,
as the scheduler hands a tick's due checks, to the probe worker pool (``collector.probes.pool``:
``--workers`` processes, default one per CPU, sharing ``--concurrency`` slots), where
``ProbeRunner`` runs them on the collector's event loop (uvloop when installed). Its CPU is the
benchmark process plus the workers; the pool is started (and ready) before the clock starts, as
in the long-running service. ``--workers 0`` runs the probes in this process instead.

The plugins run ``--concurrency`` at a time from a thread pool, as a Nagios-style scheduler runs
them, launched as cheaply as Python allows (output discarded: only exit codes are compared);
their CPU is the plugin processes plus this process's cost of launching them. With a large N
they are sampled on a subset (--plugin-sample) and the output says so.

The endpoints are served by another process on the same 2 cores, identical for both sides: it
sends an SSH identification line on accept and closes when the client has spoken, or answers
the first HTTP request with a fixed 200 and closes. It is ``bench/probe_endpoints.c`` when a C
compiler is at hand (compiled into a temporary directory), else the same epoll loop in Python
(``--python-server`` forces it): the less serving costs, the more the comparison is about the
probers. Every check is its own TCP connection; when N exceeds --ports, targets share ports.
The server's CPU per check is printed too, but counted against neither side.

Goal (issue 5): 10,000 SSH + 10,000 HTTP checks within 30 s on 2 cores, and at least 20x the
plugins' throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.loop import loop_name, new_event_loop  # noqa: E402
from collector.probe_runner import CheckOutcome, ProbeRunner  # noqa: E402
from collector.probes.pool import ProbePool  # noqa: E402
from collector.store.probe_results import HostCheck  # noqa: E402

PLUGINS = Path("/usr/lib/nagios/plugins")
PLUGIN_EXIT = {0: "ok", 1: "warning", 2: "critical"}
BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
HTTP_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
    b"Connection: close\r\n\r\nFaultdesk bench ok"
)


# ---- the endpoint server (runs in its own process) ---------------------------------------


def serve(ports_per_kind: int) -> None:
    """Listen on ``ports_per_kind`` ports per kind; print them as JSON; stop when stdin closes.

    A plain epoll loop rather than asyncio: the server shares the cores with both contestants,
    so the less it costs the more the comparison is about the probers.
    """
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


@dataclass(frozen=True)
class Run:
    label: str
    checks: int
    verdicts: Counter[str]
    wall_s: float
    cpu_s: float  # the prober: our process and workers, or the plugin processes
    launch_cpu_s: float = 0.0  # this process's cost of starting the plugins
    server_cpu_s: float = 0.0  # the endpoint server, counted against neither side

    @property
    def rate(self) -> float:
        return self.checks / self.wall_s

    @property
    def cpu_ms_per_check(self) -> float:
        return (self.cpu_s + self.launch_cpu_s) * 1000 / self.checks


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU of live processes, this one included when its pid is given."""
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---- Faultdesk: the collector's probe path ----------------------------------------------


def make_checks(kind: str, ports: Sequence[int]) -> list[HostCheck]:
    """The rows the scheduler would load: default options, one per target."""
    if kind == "ssh":
        targets = [f"127.0.0.1:{port}" for port in ports]
    else:
        targets = [f"http://127.0.0.1:{port}/" for port in ports]
    return [HostCheck(n, "bench", kind, "", target) for n, target in enumerate(targets, 1)]


async def run_in_process(runner: ProbeRunner, checks: list[HostCheck], lanes: int) -> list[str]:
    """The scheduler's in-process path: at most ``lanes`` probes at once."""
    pending = iter(checks)
    verdicts: list[str] = []

    async def lane() -> None:
        for check in pending:
            verdicts.append(str((await runner.run(check)).verdict))

    await asyncio.gather(*(lane() for _ in range(lanes)))
    return verdicts


async def faultdesk_runs(
    checks: dict[str, list[HostCheck]], args: argparse.Namespace, server_pid: int
) -> list[Run]:
    outcomes: list[CheckOutcome] = []
    pool: ProbePool | None = None
    if args.workers:

        def deliver(_check: HostCheck, outcome: CheckOutcome, _waited_s: float) -> None:
            outcomes.append(outcome)
            if len(outcomes) >= expected:
                finished.set()

        pool = ProbePool(args.workers, deliver, max_concurrency=args.concurrency)
        await pool.start()
    runner = ProbeRunner(http_limit=args.concurrency)
    runs = []
    for kind, kind_checks in checks.items():
        expected, finished = len(kind_checks), asyncio.Event()
        outcomes.clear()
        pids = [os.getpid(), *(pool.pids() if pool else [])]
        cpu_before, server_before = cpu_seconds(pids), cpu_seconds([server_pid])
        started = time.perf_counter()
        if pool is not None:
            await pool.submit(kind_checks)
            await finished.wait()
            verdicts = [str(outcome.verdict) for outcome in outcomes]
        else:
            verdicts = await run_in_process(runner, kind_checks, args.concurrency)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
        server = cpu_seconds([server_pid]) - server_before
        label = f"faultdesk {kind}"
        runs.append(Run(label, len(kind_checks), Counter(verdicts), wall, cpu, 0.0, server))
    if pool is not None:
        await pool.close()
    await runner.close()
    return runs


# ---- the plugins --------------------------------------------------------------------------


def plugin_commands(kind: str, ports: Sequence[int], timeout_s: float) -> list[list[str]]:
    """The same checks as Faultdesk's: banner only; GET / expecting 2xx/3xx."""
    timeout = str(max(int(timeout_s), 1))
    if kind == "ssh":
        base = [str(PLUGINS / "check_ssh"), "-H", "127.0.0.1", "-t", timeout, "-p"]
    else:
        base = [str(PLUGINS / "check_http"), "-I", "127.0.0.1", "-u", "/", "-t", timeout, "-p"]
    return [[*base, str(port)] for port in ports]


def run_plugin(label: str, commands: Sequence[list[str]], concurrency: int, server_pid: int) -> Run:
    def check(command: list[str]) -> str:
        done = subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        return PLUGIN_EXIT.get(done.returncode, "unknown")

    self_before, children_before = cpu_seconds([os.getpid()]), children_cpu_seconds()
    server_before = cpu_seconds([server_pid])
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        verdicts = Counter(pool.map(check, commands))
    wall = time.perf_counter() - started
    return Run(
        label,
        len(commands),
        verdicts,
        wall,
        children_cpu_seconds() - children_before,
        cpu_seconds([os.getpid()]) - self_before,
        cpu_seconds([server_pid]) - server_before,
    )


# ---- the run -----------------------------------------------------------------------------


def server_command(ports_per_kind: int, python: bool, build_dir: str) -> tuple[list[str], str]:
    """The C endpoint server when it compiles, else the Python one; and which it is."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not python and compiler is not None:
        binary = os.path.join(build_dir, "probe_endpoints")
        source = str(Path(__file__).with_name("probe_endpoints.c"))
        built = subprocess.run([compiler, "-O2", "-o", binary, source], check=False)
        if built.returncode == 0:
            return [binary, str(ports_per_kind)], "C epoll"
    return [sys.executable, __file__, "--serve", "--ports", str(ports_per_kind)], "Python epoll"


def start_server(command: list[str]) -> tuple[subprocess.Popen[str], dict[str, list[int]]]:
    server = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    if not line:
        server.wait()
        raise SystemExit(f"endpoint server failed to start (exit {server.returncode})")
    return server, json.loads(line)


def stop_server(server: subprocess.Popen[str]) -> None:
    assert server.stdin is not None
    server.stdin.close()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def spread(ports: Sequence[int], n: int) -> list[int]:
    return [ports[i % len(ports)] for i in range(n)]


def print_table(runs: Sequence[Run]) -> None:
    print(
        f"{'':18}{'checks':>7}{'wall s':>8}{'checks/s':>10}{'CPU ms/check':>14}"
        f"{'server ms':>11}  verdicts"
    )
    for run in runs:
        launch = (
            f" (launching {run.launch_cpu_s * 1000 / run.checks:.2f})" if run.launch_cpu_s else ""
        )
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(run.verdicts.items()))
        print(
            f"{run.label:18}{run.checks:>7}{run.wall_s:>8.2f}{run.rate:>10.0f}"
            f"{run.cpu_ms_per_check:>14.3f}{run.server_cpu_s * 1000 / run.checks:>11.3f}"
            f"  {verdicts}{launch}"
        )


def print_ratios(ours: Sequence[Run], theirs: Sequence[Run], n: int) -> None:
    print()
    for mine, baseline in zip(ours, theirs, strict=True):
        print(
            f"{mine.label} vs {baseline.label}: {mine.rate / baseline.rate:.1f}x the throughput, "
            f"{baseline.cpu_ms_per_check / mine.cpu_ms_per_check:.1f}x less CPU per check"
        )
    total_wall = sum(run.wall_s for run in ours)
    ratio = min(mine.rate / base.rate for mine, base in zip(ours, theirs, strict=True))
    print(
        f"\n{n} SSH + {n} HTTP checks took {total_wall:.1f} s; lowest throughput ratio {ratio:.1f}x"
    )
    if n < 10_000:
        print("goal (10,000 + 10,000 within 30 s, >= 20x the plugins): run with --n 10000 to judge")
        return
    print(f"goal: within 30 s - {'met' if total_wall <= 30 else 'NOT met'}; ", end="")
    print(f">= 20x the plugins' throughput - {'met' if ratio >= 20 else 'NOT met'}")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="checks per kind (default 500)")
    parser.add_argument("--concurrency", type=int, default=100, help="checks at once, both sides")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="probe worker processes (0: none)"
    )
    parser.add_argument("--ports", type=int, default=1000, help="listening ports per kind, max")
    parser.add_argument("--plugin-sample", type=int, default=1000, help="plugin checks per kind")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument(
        "--python-server", action="store_true", help="serve endpoints from Python, not C"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raise_fd_limit()
    if args.serve:
        serve(args.ports)
        return 0
    for plugin in ("check_ssh", "check_http"):
        if not (PLUGINS / plugin).exists():
            raise SystemExit(
                f"{PLUGINS / plugin} missing: apt-get install monitoring-plugins-basic"
            )
    with tempfile.TemporaryDirectory(prefix="faultdesk-bench-") as build_dir:
        command, server_kind = server_command(
            min(args.n, args.ports), args.python_server, build_dir
        )
        server, ports = start_server(command)
        try:
            return bench(args, ports, server.pid, server_kind)
        finally:
            stop_server(server)


def bench(
    args: argparse.Namespace, ports: dict[str, list[int]], server_pid: int, server_kind: str
) -> int:
    n, concurrency, timeout = args.n, args.concurrency, args.timeout
    targets = {kind: spread(ports[kind], n) for kind in ("ssh", "http")}
    sample = min(n, args.plugin_sample)
    loop = new_event_loop()
    where = f"{args.workers} worker processes" if args.workers else "the benchmark process"
    print(
        f"{n} SSH-banner + {n} HTTP checks on 127.0.0.1 over {len(ports['ssh'])} ports per kind, "
        f"concurrency {concurrency}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; Faultdesk probes in {where} on {loop_name(loop)}; "
        f"endpoints served by the {server_kind} server"
    )
    if sample < n:
        print(f"plugins sampled on the first {sample} of the {n} targets per kind")
    checks = {kind: make_checks(kind, targets[kind]) for kind in targets}
    try:
        ours = loop.run_until_complete(faultdesk_runs(checks, args, server_pid))
    finally:
        loop.close()
    theirs = [
        run_plugin(
            f"check_{kind}",
            plugin_commands(kind, targets[kind][:sample], timeout),
            concurrency,
            server_pid,
        )
        for kind in ("ssh", "http")
    ]
    print()
    print_table([*ours, *theirs])
    print_ratios(ours, theirs, n)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    failed = sum(run.checks - run.verdicts["ok"] for run in (*ours, *theirs))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
