"""SNMP trap intake: the collector's receiver next to net-snmp's ``snmptrapd`` (logging to
/dev/null), fed the same stream in the same run.

    .venv/bin/python bench/snmp_traps.py          # 500, 1,000, 2,000 traps/s, 1 s each
    .venv/bin/python bench/snmp_traps.py --rates 2000,5000 --seconds 3

The collector runs as its real process (``faultdesk-collector run``, SQLite, leading, so its
SNMP duty turns the traps into faults), with one Mitel host at 127.0.0.1. The traps are the
datagrams ``snmptrap`` itself sends (SNMPv2c alarm traps, the level cycling through clear,
minor, major and critical so a storm's coalescing does not make the work vanish), captured once
and sent to both receivers, paced at each rate in turn, each datagram to both.

Per receiver and rate: the traps taken off its socket (sent minus the kernel's drops for that
socket, from /proc/net/udp), the loss, and the rate it kept up: traps taken / (time until its
socket queue was empty again). For the collector, also the traps *evaluated*: stored and
processed by the leader (``snmp_traps.count``, processed), and the time until they were. The
ratio is the collector's evaluated rate / snmptrapd's rate. Goal (issue 15): >= 0.5x snmptrapd
with zero loss up to 2,000 traps/s.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.snmptrap import alarm, captured_trap  # noqa: E402

COLLECTOR = [sys.executable, "-m", "collector.cli"]
GOAL = 0.5


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def udp_socket_stats(port: int) -> tuple[int, int]:
    """(bytes queued, datagrams dropped) of the UDP socket bound to 127.0.0.1:port."""
    wanted = f"0100007F:{port:04X}"
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted:
            queued = int(fields[4].split(":")[1], 16)
            return queued, int(fields[-1])
    raise RuntimeError(f"nothing listening on udp 127.0.0.1:{port}")


def start_collector(workdir: Path, trap_port: int) -> tuple[subprocess.Popen[bytes], Path]:
    database = workdir / "faultdesk.db"
    config = workdir / "collector.yaml"
    config.write_text(
        "secret_key: bench-secret-0123456789abcdef\n"
        f"http: {{host: 127.0.0.1, port: {free_port(socket.SOCK_STREAM)}, secure_cookies: false}}\n"
        f"database: {{url: 'sqlite:///{database}'}}\n"
        f"snmp: {{listen: '127.0.0.1:{trap_port}', poll_interval_s: 3600}}\n"
    )
    run = [*COLLECTOR, "--config", str(config)]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    subprocess.run([*COLLECTOR, "migrate", "--config", str(config)], check=True, **quiet)
    subprocess.run([*COLLECTOR, "customer", "add", "acme", "--name", "Acme", "--config",
                    str(config)], check=True, **quiet)  # fmt: skip
    subprocess.run([*COLLECTOR, "host", "add", "mitel", "--customer", "acme", "--kind", "mitel",
                    "--address", "127.0.0.1", "--snmp-community", "public", "--config",
                    str(config)], check=True, **quiet)  # fmt: skip
    process = subprocess.Popen([*run[:3], "run", *run[3:]], **quiet)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            udp_socket_stats(trap_port)
            return process, database
        except RuntimeError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the collector did not start listening for traps")


def start_snmptrapd(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    config = workdir / "snmptrapd.conf"
    config.write_text("authCommunity log public\n")
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(workdir / "snmptrapd")}
    process = subprocess.Popen(
        ["/usr/sbin/snmptrapd", "-f", "-C", "-c", str(config), "-Lf", "/dev/null", "-On",
         f"udp:127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            udp_socket_stats(port)
            return process
        except RuntimeError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("snmptrapd did not start")


def evaluated(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(count), 0) FROM snmp_traps WHERE processed_at IS NOT NULL"
        ).fetchone()
    return int(row[0])


def blast(datagrams: list[bytes], ports: list[int], rate: float, seconds: float) -> int:
    """Send ``rate`` datagrams a second for ``seconds`` to every port; returns how many each."""
    total = int(rate * seconds)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        started = time.perf_counter()
        for n in range(total):
            due = started + n / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            for port in ports:
                sock.sendto(datagrams[n % len(datagrams)], ("127.0.0.1", port))
    return total


def drained_at(port: int, timeout_s: float = 60.0) -> float:
    deadline = time.perf_counter() + timeout_s
    while udp_socket_stats(port)[0] and time.perf_counter() < deadline:
        time.sleep(0.005)
    return time.perf_counter()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="500,1000,2000", help="traps/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=1.0, help="how long each rate is sent")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    datagrams = [captured_trap(varbinds=alarm(level, level - 1)) for level in (1, 2, 3, 4)]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        collector_port, trapd_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
        collector, database = start_collector(workdir, collector_port)
        processes = [collector]
        try:
            processes.append(start_snmptrapd(workdir, trapd_port))
            print(f"{'rate/s':>8} {'receiver':<22} {'taken':>7} {'lost':>6} {'kept up /s':>11}")
            worst = float("inf")
            for rate in rates:
                worst = min(worst, run_rate(datagrams, rate, args.seconds, collector_port,
                                            trapd_port, database))  # fmt: skip
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
    verdict = "meets" if worst >= GOAL else "misses"
    print(f"\nworst ratio collector (evaluated) / snmptrapd: {worst:.2f}x ({verdict} {GOAL}x)")
    return 0


def run_rate(
    datagrams: list[bytes], rate: float, seconds: float, collector_port: int, trapd_port: int,
    database: Path,
) -> float:  # fmt: skip
    before = {port: udp_socket_stats(port)[1] for port in (collector_port, trapd_port)}
    evaluated_before = evaluated(database)
    started = time.perf_counter()
    sent = blast(datagrams, [collector_port, trapd_port], rate, seconds)
    ends = {port: drained_at(port) for port in (trapd_port, collector_port)}
    taken = {port: sent - (udp_socket_stats(port)[1] - before[port]) for port in ends}
    deadline = time.perf_counter() + 60
    while evaluated(database) - evaluated_before < taken[collector_port]:
        if time.perf_counter() > deadline:
            break
        time.sleep(0.02)
    done = evaluated(database) - evaluated_before
    evaluated_s = time.perf_counter() - started
    rows = [
        ("snmptrapd (/dev/null)", taken[trapd_port], ends[trapd_port] - started),
        ("faultdesk received", taken[collector_port], ends[collector_port] - started),
        ("faultdesk evaluated", done, evaluated_s),
    ]
    for name, count, elapsed in rows:
        lost = sent - count
        print(f"{rate:>8.0f} {name:<22} {count:>7} {lost:>6} {count / elapsed:>11.0f}")
    ratio = (done / evaluated_s) / (taken[trapd_port] / (ends[trapd_port] - started))
    print(f"{'':>8} ratio evaluated / snmptrapd: {ratio:.2f}x")
    return ratio


if __name__ == "__main__":
    raise SystemExit(main())
