"""Agent footprint against Debian's prometheus-node-exporter, measured in the same run.

Runs the real agent (``python -m agent.cli run``) pushing over TLS, as in production, to a
loopback sink, and node_exporter
scraped at the same interval, side by side for N cycles. Prints each one's peak RSS (VmHWM)
and CPU seconds per cycle (after its first cycle, so start-up is not counted as work), and the
ratios agent / node_exporter. Goals: RSS <= 1.25x, CPU per cycle <= 1x.

    .venv/bin/python bench/agent_footprint.py [--cycles 10] [--interval 0.5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
RSS_GOAL = 1.25
CPU_GOAL = 1.0


class Sink(ThreadingHTTPServer):
    """Accepts every report (no checks: the bench measures the agent, not a collector)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SinkHandler)
        self.reports = 0


class _SinkHandler(BaseHTTPRequestHandler):
    server: Sink
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = json.dumps({"seq": json.loads(body)["seq"]}).encode()
        self.server.reports += 1
        self.send_response(202)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Meter:
    """CPU seconds and peak RSS of one process, with CPU counted from a baseline."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.cpu_start = 0.0
        self.cycles = 0

    def cpu(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    def start(self) -> None:
        self.cpu_start = self.cpu()

    def peak_rss(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return int(self.process.memory_info().rss)

    def cpu_per_cycle(self) -> float:
        return (self.cpu() - self.cpu_start) / max(1, self.cycles)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tls_context(workdir: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1: the agent talks TLS as it would in production."""
    cert, key = workdir / "sink-cert.pem", workdir / "sink-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def _start_agent(
    workdir: Path, sink_url: str, ca_bundle: Path | None, interval: float
) -> subprocess.Popen[bytes]:
    key = workdir / "host.key"
    key.write_text("bench" * 8)
    key.chmod(0o600)
    config = workdir / "agent.yaml"
    config.write_text(
        f"collector_url: {sink_url}\nhost_id: bench\nkey_file: {key}\n"
        + (f"ca_bundle: {ca_bundle}\n" if ca_bundle else "")
        + f"spool_dir: {workdir / 'spool'}\ninterval_s: {interval}\nlog_level: warning\n"
    )
    command = [sys.executable, "-m", "agent.cli", "run", "--config", str(config)]
    return subprocess.Popen(command, cwd=ROOT)


def _start_node_exporter(binary: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}/metrics"


def _scrape(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
        return True
    except OSError:
        return False


def measure(cycles: int, interval: float, binary: str) -> tuple[Meter, Meter]:
    """Run both for ``cycles`` cycles after their first; return their meters."""
    sink = Sink()
    with tempfile.TemporaryDirectory() as tmp:
        scheme, cert = "http", None
        if shutil.which("openssl"):
            context, cert = _tls_context(Path(tmp))
            sink.socket = context.wrap_socket(sink.socket, server_side=True)
            scheme = "https"
        else:
            print("openssl not found: the agent reports over plain HTTP (less than production)")
        threading.Thread(target=sink.serve_forever, args=(0.05,), daemon=True).start()
        sink_url = f"{scheme}://127.0.0.1:{sink.server_address[1]}"
        agent = _start_agent(Path(tmp), sink_url, cert, interval)
        exporter, metrics_url = _start_node_exporter(binary)
        try:
            agent_meter, exporter_meter = Meter(agent.pid), Meter(exporter.pid)
            while not _scrape(metrics_url):  # first scrape: start-up, not counted
                time.sleep(0.05)
            exporter_meter.start()
            while sink.reports < 1:
                if agent.poll() is not None:
                    raise SystemExit(f"the agent exited with {agent.returncode}")
                time.sleep(0.01)
            agent_meter.start()
            next_scrape = time.monotonic() + interval
            while exporter_meter.cycles < cycles or sink.reports - 1 < cycles:
                if exporter_meter.cycles < cycles and time.monotonic() >= next_scrape:
                    _scrape(metrics_url)
                    exporter_meter.cycles += 1
                    next_scrape += interval
                time.sleep(0.005)
            agent_meter.cycles = sink.reports - 1
            results = (agent_meter, exporter_meter)
            # Read before stopping: /proc entries go away with the processes.
            snapshot = [(m.peak_rss(), m.cpu_per_cycle()) for m in results]
        finally:
            for process in (agent, exporter):
                process.terminate()
                process.wait(10)
            sink.shutdown()
            sink.server_close()
    _report(cycles, interval, snapshot)
    return results


def _report(cycles: int, interval: float, snapshot: list[tuple[int, float]]) -> None:
    (agent_rss, agent_cpu), (node_rss, node_cpu) = snapshot
    print(f"{cycles} cycles at {interval:g} s; node_exporter scraped at the same interval")
    print(f"{'':<16}{'peak RSS (MiB)':>16}{'CPU ms / cycle':>16}")
    print(f"{'faultdesk-agent':<16}{agent_rss / 2**20:>16.1f}{agent_cpu * 1000:>16.2f}")
    print(f"{'node_exporter':<16}{node_rss / 2**20:>16.1f}{node_cpu * 1000:>16.2f}")
    rss_ratio = agent_rss / node_rss
    cpu_ratio = agent_cpu / node_cpu if node_cpu else float("inf")
    print(f"{'ratio':<16}{rss_ratio:>15.2f}x{cpu_ratio:>15.2f}x")
    print(
        f"goals: RSS <= {RSS_GOAL}x {'met' if rss_ratio <= RSS_GOAL else 'NOT met'}; "
        f"CPU/cycle <= {CPU_GOAL}x {'met' if cpu_ratio <= CPU_GOAL else 'NOT met'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10, help="cycles measured (default 10)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds per cycle")
    parser.add_argument("--node-exporter", default=NODE_EXPORTER, help="node_exporter binary")
    args = parser.parse_args()
    if not Path(args.node_exporter).exists():
        print(f"{args.node_exporter} not found: apt-get install prometheus-node-exporter")
        return 2
    measure(args.cycles, args.interval, args.node_exporter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
