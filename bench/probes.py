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

The endpoints, served by another process on the same 2 cores, are identical for both sides: an
SSH identification line, or a fixed HTTP 200, then close. It is ``bench/probe_endpoints.c`` when a C
compiler is at hand (compiled into a temporary directory), else the same epoll loop in Python,
``bench/probe_endpoints.py`` (``--python-server`` forces it): the less serving costs, the more
the comparison is about the probers. Every check is its own TCP connection; when N exceeds
--ports, targets share ports. The server's CPU per check is printed too, but counted against
neither side.

Each of --rounds rounds runs both in turn, kind by kind, so a busy machine weighs on both
alike; the table shows each one's median round. Every round is a first run (new check ids):
the preparing the service does once per check is paid here every round.

Goal (issue 5): 10,000 SSH + 10,000 HTTP checks in 30 s on 2 cores, 20x the plugins' rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.probes.pool import ProbePool  # noqa: E402
from collector.probes.runner import CheckOutcome, ProbeRunner  # noqa: E402
from collector.runtime.loop import loop_name, new_event_loop  # noqa: E402
from collector.store.probe_results import HostCheck  # noqa: E402

PLUGINS = Path("/usr/lib/nagios/plugins")
PLUGIN_EXIT = {0: "ok", 1: "warning", 2: "critical"}


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


def make_checks(kind: str, ports: Sequence[int], first_id: int) -> list[HostCheck]:
    """The rows the scheduler would load: default options, one per target. Each round gets
    new ids, so every round is a first run (the runner prepares a check on its first run)."""
    if kind == "ssh":
        targets = [f"127.0.0.1:{port}" for port in ports]
    else:
        targets = [f"http://127.0.0.1:{port}/" for port in ports]
    return [HostCheck(n, "bench", kind, "", target) for n, target in enumerate(targets, first_id)]


class Faultdesk:
    """The prober under test: the collector's worker pool, or a runner in this process."""

    def __init__(self, workers: int, concurrency: int) -> None:
        self._concurrency = concurrency
        self._outcomes: list[CheckOutcome] = []
        self._expected = 0
        self._finished = asyncio.Event()
        self._pool = (
            ProbePool(workers, self._deliver, max_concurrency=concurrency) if workers else None
        )
        self._runner = ProbeRunner(http_limit=concurrency)

    def _deliver(self, _check: HostCheck, outcome: CheckOutcome, _waited_s: float) -> None:
        self._outcomes.append(outcome)
        if len(self._outcomes) >= self._expected:
            self._finished.set()

    async def start(self) -> None:
        if self._pool is not None:
            await self._pool.start()  # the service's workers are up long before any check

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        await self._runner.close()

    async def measure(self, label: str, checks: list[HostCheck], server_pid: int) -> Run:
        pids = [os.getpid(), *(self._pool.pids() if self._pool else [])]
        cpu_before, server_before = cpu_seconds(pids), cpu_seconds([server_pid])
        started = time.perf_counter()
        verdicts = await self._run(checks)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
        server = cpu_seconds([server_pid]) - server_before
        return Run(label, len(checks), Counter(verdicts), wall, cpu, 0.0, server)

    async def _run(self, checks: list[HostCheck]) -> list[str]:
        if self._pool is None:
            return await run_in_process(self._runner, checks, self._concurrency)
        self._outcomes, self._expected = [], len(checks)
        self._finished.clear()
        await self._pool.submit(checks)
        await self._finished.wait()
        return [str(outcome.verdict) for outcome in self._outcomes]


async def run_in_process(runner: ProbeRunner, checks: list[HostCheck], lanes: int) -> list[str]:
    """The scheduler's in-process path: at most ``lanes`` probes at once."""
    pending = iter(checks)
    verdicts: list[str] = []

    async def lane() -> None:
        for check in pending:
            verdicts.append(str((await runner.run(check)).verdict))

    await asyncio.gather(*(lane() for _ in range(lanes)))
    return verdicts


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
    script = str(Path(__file__).with_name("probe_endpoints.py"))
    return [sys.executable, script, str(ports_per_kind)], "Python epoll"


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


def print_ratios(runs: dict[str, list[Run]], kinds: Sequence[str], n: int) -> None:
    """Ratios of runs made one after the other in the same round (the machine's load drifts
    between rounds), the median over rounds; the goal is judged on the median round's time."""
    print()
    ratios = []
    for kind in kinds:
        ours, theirs = runs[f"faultdesk {kind}"], runs[f"check_{kind}"]
        rate = statistics.median(a.rate / b.rate for a, b in zip(ours, theirs, strict=True))
        cpu = statistics.median(
            b.cpu_ms_per_check / a.cpu_ms_per_check for a, b in zip(ours, theirs, strict=True)
        )
        ratios.append(rate)
        print(
            f"faultdesk {kind} vs check_{kind}: {rate:.1f}x the throughput, "
            f"{cpu:.1f}x less CPU per check (medians of the rounds' ratios)"
        )
    total_wall = sum(median_run(runs[f"faultdesk {kind}"]).wall_s for kind in kinds)
    ratio = min(ratios)
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
        "--rounds", type=int, default=3, help="rounds, each contestant in turn (default 3)"
    )
    parser.add_argument(
        "--python-server", action="store_true", help="serve endpoints from Python, not C"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raise_fd_limit()
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
    n, kinds = args.n, ("ssh", "http")
    targets = {kind: spread(ports[kind], n) for kind in kinds}
    sample = min(n, args.plugin_sample)
    plugins = {kind: plugin_commands(kind, targets[kind][:sample], args.timeout) for kind in kinds}
    loop = new_event_loop()
    where = f"{args.workers} worker processes" if args.workers else "the benchmark process"
    print(
        f"{n} SSH-banner + {n} HTTP checks on 127.0.0.1 over {len(ports['ssh'])} ports per kind, "
        f"concurrency {args.concurrency}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; Faultdesk probes in {where} on {loop_name(loop)}; "
        f"endpoints served by the {server_kind} server; {args.rounds} round(s), each contestant "
        "in turn, medians shown"
    )
    if sample < n:
        print(f"plugins sampled on the first {sample} of the {n} targets per kind")
    prober = Faultdesk(args.workers, args.concurrency)
    runs: dict[str, list[Run]] = {}
    try:
        loop.run_until_complete(prober.start())
        for round_ in range(args.rounds):
            for kind in kinds:
                checks = make_checks(kind, targets[kind], 1 + round_ * n)
                ours = loop.run_until_complete(
                    prober.measure(f"faultdesk {kind}", checks, server_pid)
                )
                theirs = run_plugin(f"check_{kind}", plugins[kind], args.concurrency, server_pid)
                for run in (ours, theirs):
                    runs.setdefault(run.label, []).append(run)
    finally:
        loop.run_until_complete(prober.close())
        loop.close()
    print()
    if args.rounds > 1:
        for label, label_runs in runs.items():
            print(f"{label:18}checks/s by round: " + ", ".join(f"{r.rate:.0f}" for r in label_runs))
        print()
    labels = [*(f"faultdesk {kind}" for kind in kinds), *(f"check_{kind}" for kind in kinds)]
    print_table([median_run(runs[label]) for label in labels])
    print_ratios(runs, kinds, n)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    failed = sum(
        run.checks - run.verdicts["ok"] for label_runs in runs.values() for run in label_runs
    )
    return 1 if failed else 0


def median_run(runs: Sequence[Run]) -> Run:
    """The run with the median throughput (the lower middle one of an even number)."""
    return sorted(runs, key=lambda run: run.rate)[(len(runs) - 1) // 2]


if __name__ == "__main__":
    sys.exit(main())
