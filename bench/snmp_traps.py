"""SNMP trap intake: the collector's receiver next to net-snmp's ``snmptrapd`` (logging to
/dev/null), fed the same stream in the same run.

    .venv/bin/python bench/snmp_traps.py          # 500, 1,000, 2,000 traps/s, 2 s each
    .venv/bin/python bench/snmp_traps.py --rates 2000,5000 --seconds 3

The collector runs as its real process (``faultdesk-collector run``, SQLite, leading, so its
SNMP duty turns the traps into faults), with one Mitel host at 127.0.0.1. The traps are the
datagrams ``snmptrap`` itself sends (SNMPv2c alarm traps, the level cycling through clear,
minor, major and critical), each one given its own request-id and sysUpTime as a real sender's
are (re-encoded by pysnmp), so no receiver sees the same datagram twice. They are paced at each
rate in turn, each datagram to both receivers.

Per receiver and rate: the traps taken off its socket (sent minus the kernel's drops for that
socket, from /proc/net/udp), the loss, the rate it kept up (traps taken / time until its socket
queue was empty again) and the CPU time it spent per trap (its process's user + system time
over the rate, from /proc/PID/stat). For the collector, also the traps *evaluated* (stored and
processed by the leader: ``snmp_traps.count``, processed) and how long after the last trap was
sent the last one was evaluated (the leader's duty runs once a second).

Below the offered rate both receivers keep up, so their wall-clock rates are the offered rate
and say nothing of how far each is from its limit; on two shared cores a saturating stream
measures the scheduler as much as the receivers. The rate compared is therefore each
receiver's capacity: traps per CPU-second (1 / CPU time per trap), for the collector all of
its process's CPU time (receiving, storing, evaluating, everything else it runs). The ratio is
the collector's capacity / snmptrapd's. Goal (issue 15): >= 0.5x snmptrapd with zero loss up
to 2,000 traps/s.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.snmptrap import alarm, captured_trap, renumbered  # noqa: E402

COLLECTOR = [sys.executable, "-m", "collector.cli"]
GOAL = 0.5
GOAL_RATE = 2000.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def settle(pid: int, timeout_s: float = 20.0) -> None:
    """Wait until the process is idle: under 2% of a CPU over half a second."""
    deadline = time.monotonic() + timeout_s
    used = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        used, before = cpu_seconds(pid), used
        if used - before < 0.01:
            return


def stream(count: int) -> list[bytes]:
    """``count`` distinct v2c alarm traps: snmptrap's datagrams, each with its own request-id
    and sysUpTime, the level cycling 1, 2, 3, 4."""
    captured = [captured_trap(varbinds=alarm(level, level - 1)) for level in (1, 2, 3, 4)]
    return [renumbered(captured[n % len(captured)], 100_000 + n, 500_000 + n) for n in range(count)]


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


def blast(datagrams: list[bytes], ports: list[int], rate: float) -> float:
    """Send the datagrams at ``rate`` a second, each to every port; returns when it ended."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        started = time.perf_counter()
        for n, datagram in enumerate(datagrams):
            pause = started + n / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            for port in ports:
                sock.sendto(datagram, ("127.0.0.1", port))
    return time.perf_counter()


def drained_at(port: int, timeout_s: float = 60.0) -> float:
    deadline = time.perf_counter() + timeout_s
    while udp_socket_stats(port)[0] and time.perf_counter() < deadline:
        time.sleep(0.005)
    return time.perf_counter()


@dataclass(frozen=True)
class Intake:
    """What one receiver did with one rate's stream."""

    taken: int
    lost: int
    kept_up: float  # traps/s, wall clock, until its socket queue was empty
    cpu_s: float  # its process's CPU time over the rate

    @property
    def capacity(self) -> float:
        """Traps per CPU-second."""
        return self.taken / self.cpu_s if self.cpu_s else float("inf")


@dataclass(frozen=True)
class Receiver:
    name: str
    port: int
    pid: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="500,1000,2000", help="traps/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=2.0, help="how long each rate is sent")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    datagrams = stream(int(max(rates) * args.seconds))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        collector_port, trapd_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
        collector, database = start_collector(workdir, collector_port)
        processes = [collector]
        try:
            trapd = start_snmptrapd(workdir, trapd_port)
            processes.append(trapd)
            baseline = Receiver("snmptrapd (/dev/null)", trapd_port, trapd.pid)
            ours = Receiver("faultdesk", collector_port, collector.pid)
            settle(collector.pid)  # its start-up work (election, first duties) is not counted
            print(f"{'rate/s':>8} {'receiver':<22} {'taken':>7} {'lost':>6} {'kept up /s':>11}"
                  f" {'CPU us/trap':>12} {'traps/CPU-s':>12}")  # fmt: skip
            results = [
                run_rate(datagrams[: int(rate * args.seconds)], rate, baseline, ours, database)
                for rate in rates
            ]
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
    return summarise(rates, results)


def run_rate(
    datagrams: list[bytes], rate: float, baseline: Receiver, ours: Receiver, database: Path
) -> tuple[Intake, Intake, int]:
    receivers = (baseline, ours)
    drops = {r.port: udp_socket_stats(r.port)[1] for r in receivers}
    cpu = {r.pid: cpu_seconds(r.pid) for r in receivers}
    evaluated_before = evaluated(database)
    started = time.perf_counter()
    sent_at = blast(datagrams, [r.port for r in receivers], rate)
    sent = len(datagrams)
    intakes = {}
    for receiver in receivers:
        ended = drained_at(receiver.port)
        taken = sent - (udp_socket_stats(receiver.port)[1] - drops[receiver.port])
        intakes[receiver.port] = (taken, taken / (ended - started))
    deadline = time.perf_counter() + 60
    while evaluated(database) - evaluated_before < intakes[ours.port][0]:
        if time.perf_counter() > deadline:
            break
        time.sleep(0.02)
    done = evaluated(database) - evaluated_before
    latency = time.perf_counter() - sent_at
    results = []
    for receiver in receivers:
        taken, kept_up = intakes[receiver.port]
        intake = Intake(taken, sent - taken, kept_up, cpu_seconds(receiver.pid) - cpu[receiver.pid])
        results.append(intake)
        print(f"{rate:>8.0f} {receiver.name:<22} {taken:>7} {intake.lost:>6} {kept_up:>11.0f}"
              f" {intake.cpu_s / max(taken, 1) * 1e6:>12.0f} {intake.capacity:>12.0f}")  # fmt: skip
    print(
        f"{'':>8} {'faultdesk evaluated':<22} {done:>7} {sent - done:>6}   "
        f"(the last {latency:.2f} s after the last was sent)"
    )
    ratio = results[1].capacity / results[0].capacity
    print(f"{'':>8} ratio faultdesk / snmptrapd (traps per CPU-second): {ratio:.3f}x")
    return results[0], results[1], done


def summarise(rates: list[float], results: list[tuple[Intake, Intake, int]]) -> int:
    def total(side: int) -> float:
        taken = sum(r[side].taken for r in results)
        return taken / sum(r[side].cpu_s for r in results)

    baseline, ours = total(0), total(1)
    ratio = ours / baseline
    lossless = all(
        r[1].lost == 0 and r[2] == r[1].taken
        for rate, r in zip(rates, results, strict=True) if rate <= GOAL_RATE
    )  # fmt: skip
    print(
        f"\ncapacity over all rates: snmptrapd {baseline:.0f} traps/CPU-s (baseline), "
        f"faultdesk {ours:.0f} traps/CPU-s (received and evaluated)"
    )
    meets = ratio >= GOAL and lossless
    print(
        f"ratio faultdesk / snmptrapd: {ratio:.3f}x; faultdesk "
        f"{'lost none' if lossless else 'lost or left unevaluated some'} at rates up to "
        f"{GOAL_RATE:.0f}/s ({'meets' if meets else 'misses'} the goal: >= {GOAL}x, no loss)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
