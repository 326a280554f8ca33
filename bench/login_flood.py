"""The JSON API's latency while 32 clients hammer /login with wrong passwords, beside the same
API calls on a quiet collector (the baseline), in one run.

    .venv/bin/python bench/login_flood.py                 # 5 s of flood, quick
    .venv/bin/python bench/login_flood.py --seconds 30

The collector, the flood and the API calls each run in a process of their own. Each flooding
client comes from its own loopback address (127.0.0.2, .3, ...) and tries a new name each
time, so neither the per-account nor (until 30 failures) the per-address throttle stops it
before argon2 runs: what is measured is the hashing pool (its cap, its threads' low priority).
Printed: the API's median and p95 quiet and under flood, their ratio, and how the sign-ins
were answered (401 wrong, 429 pool full or blocked). Goal (issue 16): p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.app import create_app  # noqa: E402
from collector.config.settings import CollectorConfig  # noqa: E402
from collector.store.engines import make_engine, migrate  # noqa: E402
from collector.store.operators import add_operator, create_token  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def api_latencies(base: str, token: str, seconds: float) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    async with aiohttp.ClientSession() as session:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            async with session.get(base + "/api/v1/incidents", headers=headers) as answer:
                await answer.read()
                assert answer.status == 200, answer.status
            times.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.01)
    return times


async def flood(base: str, client: int, until: float, answers: Counter[int]) -> None:
    connector = aiohttp.TCPConnector(local_addr=(f"127.0.0.{client + 2}", 0))
    jar = aiohttp.CookieJar(unsafe=True)  # the collector is reached by IP address
    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as session:
        attempt = 0
        while time.perf_counter() < until:
            async with session.get(base + "/login") as page:
                token = CSRF.search(await page.text())
            assert token
            attempt += 1
            form = {"username": f"guess-{client}-{attempt}", "password": "wrong",
                    "csrf_token": token.group(1)}  # fmt: skip
            async with session.post(base + "/login", data=form, allow_redirects=False) as answer:
                await answer.read()
                answers[answer.status] += 1


def run_flood(
    base: str, clients: int, seconds: float, results: multiprocessing.Queue[dict[int, int]]
) -> None:
    """The flood in a process of its own; puts how the sign-ins were answered."""

    async def all_clients() -> dict[int, int]:
        answers: Counter[int] = Counter()
        until = time.perf_counter() + seconds
        await asyncio.gather(*(flood(base, n, until, answers) for n in range(clients)))
        return dict(answers)

    results.put(asyncio.run(all_clients()))


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def serve(config: CollectorConfig, port: int) -> None:
    """The collector alone in this (child) process, as it runs in production."""
    web.run_app(create_app(config, run_schedules=False), host="127.0.0.1", port=port,
                print=None, access_log=None)  # fmt: skip


def prepare(config: CollectorConfig) -> str:
    """The schema, an operator and their API token; returns the token."""
    engine = make_engine(config.database.url)
    try:
        migrate(engine)
        with engine.begin() as conn:
            add_operator(conn, "olga", "bench password", NOW)
            return create_token(conn, "olga", "bench", NOW)
    finally:
        engine.dispose()


async def wait_until_up(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(base + "/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("the collector did not start")


async def main(seconds: float, clients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = CollectorConfig.model_validate(
            {"secret_key": "bench-secret-0123456789",
             "database": {"url": f"sqlite:///{Path(tmp) / 'bench.db'}"},
             "http": {"secure_cookies": False}}
        )  # fmt: skip
        token = prepare(config)
        port = free_port()
        spawn = multiprocessing.get_context("spawn")
        child = spawn.Process(target=serve, args=(config, port))
        child.start()
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_until_up(base)
            quiet = await api_latencies(base, token, seconds)
            results: multiprocessing.Queue[dict[int, int]] = spawn.Queue()
            flooder = spawn.Process(target=run_flood, args=(base, clients, seconds + 1, results))
            flooder.start()
            await asyncio.sleep(0.5)  # the flood under way
            loud = await api_latencies(base, token, seconds)
            answers = results.get()
            flooder.join()
        finally:
            child.terminate()
            child.join()
    print(f"{'API GET /api/v1/incidents':32} {'median ms':>10} {'p95 ms':>8} {'calls':>6}")
    for label, times in (("quiet (baseline)", quiet), (f"{clients} clients on /login", loud)):
        print(f"{label:32} {statistics.median(times):10.1f} {p95(times):8.1f} {len(times):6}")
    print(f"ratio under flood (median): {statistics.median(loud) / statistics.median(quiet):.2f}")
    print("sign-ins answered: " + ", ".join(f"{n}x {s}" for s, n in sorted(answers.items())))
    print("goal: p95 under flood below 100 ms")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.clients))
