"""Ingest throughput: signed reports/s accepted *and committed* by the collector, next to a
bare aiohttp handler that only parses the same JSON (the baseline), measured in one run.

    .venv/bin/python bench/ingest.py                # small and quick
    .venv/bin/python bench/ingest.py --reports 20000 --concurrency 64

Each server runs in its own process; the load comes from this one over keep-alive
connections. The goal (issue 2): at least half the bare rate, on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
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


def serve_bare(port: int) -> None:
    async def handle(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        return web.json_response({"accepted": True, "seq": body["seq"]})

    app = web.Application()
    app.router.add_post(protocol.REPORTS_PATH, handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_collector(port: int, workdir: Path, hosts: int) -> None:
    from collector.app import create_app
    from collector.config import CollectorConfig, DatabaseSettings, HttpSettings

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
    app = create_app(config, run_schedules=False)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def bodies(count: int, hosts: int) -> list[tuple[str, bytes]]:
    now = datetime.now(UTC)
    probes = {
        "system": {
            "status": "ok",
            "metrics": {
                "cpu_percent": 12.5,
                "load1": 0.4,
                "memory_percent": 41.0,
                "filesystems": [{"mountpoint": "/", "percent": 51.0, "inodes_percent": 3.0}],
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
            sampled_at=now,
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


def measure(kind: str, args: argparse.Namespace, workdir: Path) -> float:
    port = free_port()
    command = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
    command += ["--workdir", str(workdir), "--hosts", str(args.hosts)]
    server = subprocess.Popen(command, cwd=ROOT)
    try:
        asyncio.run(wait_up(port))
        # Warm up (imports, first connections, SQLite file creation) before timing.
        asyncio.run(drive(port, bodies(args.hosts, args.hosts), args.concurrency))
        work = [(h, b) for h, b in bodies(args.reports + args.hosts, args.hosts)[args.hosts :]]
        return asyncio.run(drive(port, work, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)


def committed_reports(workdir: Path) -> int:
    import sqlite3

    with sqlite3.connect(workdir / "bench.db") as conn:
        return int(conn.execute("SELECT count(*) FROM reports").fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--serve", choices=["bare", "collector"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "bare":
        serve_bare(args.port)
        return 0
    if args.serve == "collector":
        serve_collector(args.port, args.workdir, args.hosts)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bare = measure("bare", args, workdir)
        collector = measure("collector", args, workdir)
        stored = committed_reports(workdir)
    expected = args.reports + args.hosts
    print(f"reports: {args.reports}  hosts: {args.hosts}  concurrency: {args.concurrency}")
    print(f"baseline  bare aiohttp JSON handler : {bare:9.0f} reports/s")
    print(f"faultdesk ingest (SQLite, committed): {collector:9.0f} reports/s")
    print(f"ratio faultdesk/baseline            : {collector / bare:9.2f}  (goal >= 0.50)")
    print(f"committed: {stored} of {expected} sent")
    return 0 if stored == expected else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
