"""Probe throughput: Faultdesk's SSH-banner and HTTP probes next to Debian's monitoring plugins
(``check_ssh``, ``check_http`` from monitoring-plugins-basic) over the same loopback endpoints,
at the same parallelism, in one run.

    .venv/bin/python bench/probes.py                   # 200 + 200 checks, a few seconds
    .venv/bin/python bench/probes.py --n 10000         # the goal

The endpoints are served by a separate process (one asyncio loop listening on many ports: an
SSH banner server and a one-response HTTP server), so serving costs are not counted against
either side. Every check is its own TCP connection; when N exceeds --ports, targets share
ports. The plugins run as a pool of subprocesses, as a Nagios-style scheduler runs them; with a
large N they are sampled on a subset (--plugin-sample) and the output says so.

Goal (issue 5): 10,000 SSH + 10,000 HTTP checks within 30 s on 2 cores, and at least 20x the
plugins' throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.probes.base import ProbeResult  # noqa: E402
from collector.probes.http import http_session, probe_http  # noqa: E402
from collector.probes.ssh import probe_ssh  # noqa: E402

PLUGINS = Path("/usr/lib/nagios/plugins")
BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
HTTP_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
    b"Connection: close\r\n\r\nFaultdesk bench ok"
)
PLUGIN_EXIT = {0: "ok", 1: "warning", 2: "critical"}


# ---- the endpoint server (runs in its own process) ---------------------------------------


class BannerServer(asyncio.Protocol):
    """Says its SSH identification and waits for the client to hang up."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(BANNER)

    def eof_received(self) -> bool:
        self.transport.close()
        return False


class OneResponseHttpServer(asyncio.Protocol):
    """Answers the first request with a fixed 200 and closes, like a tiny status page."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.received = b""

    def data_received(self, data: bytes) -> None:
        self.received += data
        if b"\r\n\r\n" in self.received:
            self.transport.write(HTTP_RESPONSE)
            self.transport.close()


async def serve(ports_per_kind: int) -> None:
    loop = asyncio.get_running_loop()
    ports: dict[str, list[int]] = {"ssh": [], "http": []}
    for kind, protocol in (("ssh", BannerServer), ("http", OneResponseHttpServer)):
        for _ in range(ports_per_kind):
            server = await loop.create_server(protocol, "127.0.0.1", 0, backlog=1024)
            ports[kind].append(server.sockets[0].getsockname()[1])
    sys.stdout.write(json.dumps(ports) + "\n")
    sys.stdout.flush()
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes our stdin


# ---- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    label: str
    checks: int
    verdicts: Counter[str]
    wall_s: float
    cpu_s: float  # this process, or the plugin processes
    spawn_cpu_s: float = 0.0  # this process's cost of starting the plugins

    @property
    def rate(self) -> float:
        return self.checks / self.wall_s

    @property
    def cpu_ms_per_check(self) -> float:
        return (self.cpu_s + self.spawn_cpu_s) * 1000 / self.checks


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


async def run_faultdesk(
    label: str, targets: Sequence[int], concurrency: int, check: Callable[[int], Awaitable[str]]
) -> Run:
    """A fixed pool of workers, each taking the next target: bounded concurrency, no 10k tasks."""
    pending = iter(targets)
    verdicts: Counter[str] = Counter()

    async def worker() -> None:
        for port in pending:
            verdicts[await check(port)] += 1

    cpu_before, started = cpu_seconds(resource.RUSAGE_SELF), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    return Run(label, len(targets), verdicts, wall, cpu_seconds(resource.RUSAGE_SELF) - cpu_before)


async def faultdesk_runs(
    ssh_targets: Sequence[int], http_targets: Sequence[int], concurrency: int, timeout_s: float
) -> tuple[Run, Run]:
    def verdict(result: ProbeResult) -> str:
        return result.verdict.value

    async def ssh_check(port: int) -> str:
        return verdict(await probe_ssh("127.0.0.1", port, timeout_s=timeout_s))

    ssh = await run_faultdesk("faultdesk ssh", ssh_targets, concurrency, ssh_check)
    async with http_session(limit=0) as session:

        async def http_check(port: int) -> str:
            url = f"http://127.0.0.1:{port}/"
            return verdict(await probe_http(url, timeout_s=timeout_s, session=session))

        http = await run_faultdesk("faultdesk http", http_targets, concurrency, http_check)
    return ssh, http


def run_plugin(label: str, commands: Sequence[list[str]], concurrency: int) -> Run:
    def check(command: list[str]) -> str:
        done = subprocess.run(command, capture_output=True, check=False)
        return PLUGIN_EXIT.get(done.returncode, "unknown")

    self_before, children_before = (
        cpu_seconds(resource.RUSAGE_SELF),
        cpu_seconds(resource.RUSAGE_CHILDREN),
    )
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        verdicts = Counter(pool.map(check, commands))
    wall = time.perf_counter() - started
    return Run(
        label,
        len(commands),
        verdicts,
        wall,
        cpu_seconds(resource.RUSAGE_CHILDREN) - children_before,
        cpu_seconds(resource.RUSAGE_SELF) - self_before,
    )


# ---- the run -----------------------------------------------------------------------------


def start_server(ports_per_kind: int) -> tuple[subprocess.Popen[str], dict[str, list[int]]]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--ports", str(ports_per_kind)],
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
    print(f"{'':22}{'checks':>8}{'wall s':>9}{'checks/s':>10}{'CPU ms/check':>14}  verdicts")
    for run in runs:
        spawn = f" (spawn {run.spawn_cpu_s * 1000 / run.checks:.2f})" if run.spawn_cpu_s else ""
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(run.verdicts.items()))
        print(
            f"{run.label:22}{run.checks:>8}{run.wall_s:>9.2f}{run.rate:>10.0f}"
            f"{run.cpu_ms_per_check:>14.3f}  {verdicts}{spawn}"
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="checks per kind (default 200)")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--ports", type=int, default=1000, help="listening ports per kind, max")
    parser.add_argument("--plugin-sample", type=int, default=1000, help="plugin checks per kind")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    raise_fd_limit()
    if args.serve:
        asyncio.run(serve(args.ports))
        return 0
    for plugin in ("check_ssh", "check_http"):
        if not (PLUGINS / plugin).exists():
            raise SystemExit(
                f"{PLUGINS / plugin} missing: apt-get install monitoring-plugins-basic"
            )
    server, ports = start_server(min(args.n, args.ports))
    try:
        return bench(args, ports)
    finally:
        stop_server(server)


def plugin_commands(kind: str, ports: Sequence[int], timeout_s: float) -> list[list[str]]:
    """The same checks as the Faultdesk probes: banner only; GET / expecting 2xx/3xx."""
    timeout = str(max(int(timeout_s), 1))
    if kind == "ssh":
        base = [str(PLUGINS / "check_ssh"), "-H", "127.0.0.1", "-t", timeout, "-p"]
    else:
        base = [str(PLUGINS / "check_http"), "-I", "127.0.0.1", "-u", "/", "-t", timeout, "-p"]
    return [[*base, str(port)] for port in ports]


def bench(args: argparse.Namespace, ports: dict[str, list[int]]) -> int:
    n, concurrency, timeout = args.n, args.concurrency, args.timeout
    ssh_targets, http_targets = spread(ports["ssh"], n), spread(ports["http"], n)
    sample = min(n, args.plugin_sample)
    print(
        f"{n} SSH-banner + {n} HTTP checks on 127.0.0.1 over {len(ports['ssh'])} ports per kind, "
        f"concurrency {concurrency}, {os.cpu_count()} CPUs; endpoints served by another process"
    )
    if sample < n:
        print(f"plugins sampled on the first {sample} of the {n} targets per kind")
    ours = asyncio.run(faultdesk_runs(ssh_targets, http_targets, concurrency, timeout))
    theirs = (
        run_plugin("check_ssh", plugin_commands("ssh", ssh_targets[:sample], timeout), concurrency),
        run_plugin(
            "check_http", plugin_commands("http", http_targets[:sample], timeout), concurrency
        ),
    )
    print()
    print_table([*ours, *theirs])
    print_ratios(ours, theirs, n)
    failed = sum(run.checks - run.verdicts["ok"] for run in (*ours, *theirs))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
