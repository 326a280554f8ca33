"""Ingest throughput: signed reports/s accepted *and committed* by the collector, next to a
bare aiohttp handler that only parses the same JSON (the baseline), measured in one run.

    .venv/bin/python bench/ingest.py                # three rounds, quick
    .venv/bin/python bench/ingest.py --reports 20000 --concurrency 64 --rounds 1

Each server runs in its own process; the load comes from this one over keep-alive
connections. The collector is the one a user runs: SQLite, the fault engine evaluating every
report. A report counts once it is answered 200, which the collector does after the commit
that holds it. Evaluation runs behind ingest, so the bench also prints how many reports were
still unevaluated when the load stopped, and how long the engine took to finish them.
Rounds alternate baseline and collector, as machines are noisy; the ratio is their median.
The goal (issue 2): at least half the bare rate, on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent import protocol  # noqa: E402

KEY = "be" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_bare(port: int, uvloop: bool) -> None:
    async def handle(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        return web.json_response({"accepted": True, "seq": body["seq"]})

    app = web.Application()
    app.router.add_post(protocol.REPORTS_PATH, handle)
    run(app, port, uvloop)


def run(app: web.Application, port: int, uvloop: bool) -> None:
    """Both servers on the same event loop: by default the one ``faultdesk-collector run``
    uses (uvloop when installed), so the ratio compares the applications, not their loops."""
    from collector.runtime.loop import new_event_loop

    loop = new_event_loop(prefer_uvloop=uvloop)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=loop)


def serve_collector(port: int, workdir: Path, hosts: int, uvloop: bool) -> None:
    from collector.app import create_app
    from collector.config.settings import CollectorConfig, DatabaseSettings, HttpSettings

    inventory = workdir / "inventory.yaml"
    lines = ["customers:", "  - id: bench", "    name: Bench", "    hosts:"]
    lines += [f"      - {{id: h{i}, key: '{KEY}'}}" for i in range(hosts)]
    inventory.write_text("\n".join(lines) + "\n")
    config = CollectorConfig(
        secret_key="bench-secret-0123456789",
        database=DatabaseSettings(url=f"sqlite:///{workdir / 'bench.db'}"),
        http=HttpSettings(host="127.0.0.1", port=port),
        inventory_file=inventory,
    )
    run(create_app(config, run_schedules=False), port, uvloop)


def bodies(count: int, hosts: int) -> list[tuple[str, bytes]]:
    now = datetime.now(UTC)
    # The real agent's fields (agent/probes/system.py): about 20 figures per report.
    probes = {
        "system": {
            "status": "ok",
            "metrics": {
                "cpu_percent": 12.5,
                "load_1m": 0.4,
                "load_5m": 0.3,
                "load_15m": 0.2,
                "memory": {"used_percent": 41.0},
                "swap": {"used_percent": 0.0},
                "filesystems": {
                    mount: {"used_percent": 51.0, "inodes_used_percent": 3.0}
                    for mount in ("/", "/var", "/home", "/boot")
                },
                "network": {
                    nic: {"bytes_received": 1000, "bytes_sent": 500} for nic in ("eth0", "eth1")
                },
                "process_count": 120,
            },
            "error": None,
        }
    }
    out = []
    for n in range(count):
        host = f"h{n % hosts}"
        report = protocol.build_report(
            host_id=host,
            seq=n // hosts + 1,
            # One report a minute per host, the newest now: each a sample of its own.
            sampled_at=now - timedelta(minutes=(count - n) // hosts),
            interval_s=60,
            agent_version="bench",
            probes=probes,
        )
        out.append((host, protocol.encode(report)))
    return out


async def drive(port: int, work: list[tuple[str, bytes]], concurrency: int) -> float:
    """Send every report, ``concurrency`` at a time; returns reports per second."""
    url = f"http://127.0.0.1:{port}{protocol.REPORTS_PATH}"
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while not queue.empty():
                host, body = queue.get_nowait()
                headers = protocol.signed_headers(host, KEY.encode(), body, int(time.time()))
                async with session.post(url, data=body, headers=headers) as response:
                    if response.status != 200:
                        raise RuntimeError(f"{response.status}: {await response.text()}")
                    await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(work) / (time.perf_counter() - started)


async def wait_up(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"server on {port} did not start")


@dataclass(frozen=True)
class Round:
    bare: float  # reports/s
    collector: float  # reports/s, answered after commit
    unevaluated: int  # reports the engine had not evaluated yet when the load stopped
    catch_up_s: float | None  # then how long it took to evaluate them (None: not within limit)


def measure(kind: str, args: argparse.Namespace, workdir: Path) -> tuple[float, int, float | None]:
    """Reports/s; for the collector also the evaluation lag at the end and its catch-up."""
    port = free_port()
    command = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
    command += ["--workdir", str(workdir), "--hosts", str(args.hosts)]
    command += ["--event-loop", args.event_loop]
    server = subprocess.Popen(command, cwd=ROOT)
    try:
        asyncio.run(wait_up(port))
        # Warm up (imports, first connections, SQLite file creation) before timing.
        asyncio.run(drive(port, bodies(args.hosts, args.hosts), args.concurrency))
        if kind == "collector":
            wait_evaluated(workdir, args.catch_up_limit)
        work = [(h, b) for h, b in bodies(args.reports + args.hosts, args.hosts)[args.hosts :]]
        rate = asyncio.run(drive(port, work, args.concurrency))
        if kind != "collector":
            return rate, 0, 0.0
        lag = unevaluated(workdir)
        return rate, lag, wait_evaluated(workdir, args.catch_up_limit)
    finally:
        server.terminate()
        server.wait(timeout=10)


def unevaluated(workdir: Path) -> int:
    with sqlite3.connect(workdir / "bench.db") as conn:
        query = "SELECT count(*) FROM reports WHERE processed_at IS NULL"
        return int(conn.execute(query).fetchone()[0])


def wait_evaluated(workdir: Path, limit_s: float) -> float | None:
    """Seconds until the engine has evaluated every stored report; None if not within limit."""
    started = time.perf_counter()
    while unevaluated(workdir):
        if time.perf_counter() - started > limit_s:
            return None
        time.sleep(0.02)
    return time.perf_counter() - started


def counts(workdir: Path) -> tuple[int, int]:
    """Reports stored, and evaluated."""
    with sqlite3.connect(workdir / "bench.db") as conn:
        query = "SELECT count(*), count(processed_at) FROM reports"
        stored, evaluated = conn.execute(query).fetchone()
    return int(stored), int(evaluated)


def one_round(args: argparse.Namespace) -> tuple[Round, tuple[int, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bare, _, _ = measure("bare", args, workdir)
        collector, lag, catch_up = measure("collector", args, workdir)
        return Round(bare, collector, lag, catch_up), counts(workdir)


def report(args: argparse.Namespace, rounds: list[Round]) -> None:
    from collector.runtime.loop import uvloop_available

    loop = "uvloop" if uvloop_available() and args.event_loop == "auto" else "asyncio"
    print(f"reports: {args.reports}  hosts: {args.hosts}  concurrency: {args.concurrency}", end="")
    print(f"  servers' event loop: {loop}")
    for n, r in enumerate(rounds, start=1):
        caught = "not within limit" if r.catch_up_s is None else f"{r.catch_up_s:.1f} s"
        print(
            f"round {n}: bare {r.bare:6.0f}/s  faultdesk {r.collector:6.0f}/s  "
            f"ratio {r.collector / r.bare:4.2f}  unevaluated at end {r.unevaluated:5d}"
            f"  all evaluated after {caught}"
        )
    median = statistics.median
    bare, collector = median(r.bare for r in rounds), median(r.collector for r in rounds)
    ratio = median(r.collector / r.bare for r in rounds)
    print(f"baseline  bare aiohttp JSON handler : {bare:9.0f} reports/s (median)")
    print(f"faultdesk ingest (SQLite, committed): {collector:9.0f} reports/s (median)")
    print(f"ratio faultdesk/baseline            : {ratio:9.2f}  (median; goal >= 0.50)")
    lags = sorted(r.unevaluated for r in rounds)
    print(f"unevaluated when the load stopped   : {lags[0]}..{lags[-1]} reports (see rounds)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--event-loop",
        choices=["auto", "asyncio"],
        default="auto",
        help="auto: what the collector runs on (uvloop when installed); both servers use it",
    )
    parser.add_argument("--catch-up-limit", type=float, default=120.0, help=argparse.SUPPRESS)
    parser.add_argument("--serve", choices=["bare", "collector"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "bare":
        serve_bare(args.port, args.event_loop == "auto")
        return 0
    if args.serve == "collector":
        serve_collector(args.port, args.workdir, args.hosts, args.event_loop == "auto")
        return 0
    rounds, complete = [], True
    expected = args.reports + args.hosts
    for _ in range(args.rounds):
        measured, (stored, evaluated) = one_round(args)
        rounds.append(measured)
        complete &= stored == evaluated == expected
    report(args, rounds)
    print(
        f"every round: {expected} sent, {'all' if complete else 'NOT all'} committed and evaluated"
    )
    return 0 if complete else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
