"""Fault latency: from the first failing report, and from an agent's deadline, to the mail at
the SMTP server, next to the report's own round trip on the same collector (the baseline).

    .venv/bin/python bench/latency.py                      # 20 runs of each
    .venv/bin/python bench/latency.py --runs 50 --interval 5 --sweep 15

A real collector process (``faultdesk-collector run``, SQLite, the shipped mail settings) on
loopback, real signed reports, a real SMTP server (aiosmtpd) that notes when each message
arrives. The goal (issue 16): first failing report to mail within 3 s median, 5 s max.

Report → mail: each run is one host of its own that has reported fine, then reports its
Asterisk process stopped; the figure runs from sending that report to the arrival of the last
of its fault's opening mails (customer and NOC). The baseline is that same report's round
trip, from sending it to the collector's answer (given once the report is committed).

Silence → mail: as many hosts report once, at moments spread over a sweep interval, then fall
silent. The agent-silent fault opens once a host has been silent ``heartbeat_missed_intervals``
report intervals (its deadline): the leader sweeps every ``--sweep`` seconds and, after each
sweep, again at the next host's deadline. The figure runs from each host's deadline to its
last opening mail, read against the sweep interval, which would bound it without the latter.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent import protocol  # noqa: E402
from collector.config.settings import MailSettings  # noqa: E402
from tests.support.processes import (  # noqa: E402
    free_port,
    start_collector,
    stop_process,
    write_collector_config,
)
from tests.support.smtp import Inbox, smtp_server  # noqa: E402

KEY = "1a" * 32
MISSED = 3  # heartbeat_missed_intervals, the collector's default
QUIET_INTERVAL_S = 3600.0  # hosts that must not fall silent during the run


class TimedInbox(Inbox):
    """An inbox that notes when each message arrived (wall clock, as the bench's own)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[tuple[float, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.arrived.append((time.time(), str(self.messages[-1]["Subject"])))
        return answer

    def opening_mails(self, host: str, since: float) -> list[float]:
        """Arrival times of the mails since ``since`` naming ``host`` in their subject."""
        # Subjects read "FAULT: … on HOST [INC-…]" (customer) or "MAJOR: … on HOST (…) […]".
        return [at for at, subject in self.arrived if f" on {host} " in subject and at >= since]


def _inventory(directory: Path, runs: int, interval_s: float) -> None:
    """One customer whose hosts stop Asterisk (never silent), and one whose hosts fall silent,
    with an anchor host that never does, so no site goes down and each host mails its own."""
    loud = [_host(f"r{i}", QUIET_INTERVAL_S) for i in range(runs)]
    # No interval of their own: they follow what their reports announce, and until their first
    # report the agent's default (60 s), so none is silent before the bench means it to be.
    silent = [_host(f"s{i}", None) for i in range(runs)] + [_host("anchor", QUIET_INTERVAL_S)]
    customers = [
        _customer("stopping", "Stopping Ltd", loud),
        _customer("silent", "Silent Ltd", silent),
    ]
    (directory / "inventory.yaml").write_text(yaml.safe_dump({"customers": customers}))


def _customer(customer_id: str, name: str, hosts: list[dict[str, Any]]) -> dict[str, Any]:
    contacts = [{"name": "Jo", "email": f"jo@{customer_id}.example"}]
    contract = {"tier": "cat2", "starts_on": "2026-01-01", "ends_on": "2099-01-01", "ports": 10}
    return {"id": customer_id, "name": name, "contacts": contacts, "contract": contract,
            "hosts": hosts}  # fmt: skip


def _host(host_id: str, interval_s: float | None) -> dict[str, Any]:
    host = {"id": host_id, "name": host_id, "kind": "pbx", "key": KEY}
    return host if interval_s is None else {**host, "interval_s": interval_s}


def _report(host: str, seq: int, asterisk_running: bool, interval_s: float) -> bytes:
    services = {"processes": {"asterisk": {"running": asterisk_running}}}
    body = protocol.build_report(
        host_id=host, seq=seq, sampled_at=_now(), interval_s=interval_s, agent_version="bench",
        probes={"services": {"status": "ok", "metrics": services, "error": None}},
    )  # fmt: skip
    return protocol.encode(body)


def _now() -> datetime:
    return datetime.now(UTC)


async def _send(session: aiohttp.ClientSession, url: str, host: str, body: bytes) -> float:
    """Post one signed report; returns when it was sent (wall clock)."""
    headers = protocol.signed_headers(host, KEY.encode(), body, int(time.time()))
    sent = time.time()
    async with session.post(url, data=body, headers=headers) as response:
        if response.status != 200:
            raise RuntimeError(f"report from {host}: {response.status} {await response.text()}")
        await response.read()
    return sent


async def _mails_of(
    inbox: TimedInbox, host: str, since: float, count: int = 2, timeout_s: float = 60
) -> float:
    """When the last of the ``count`` mails naming ``host`` since ``since`` arrived."""
    deadline = time.monotonic() + timeout_s
    while len(inbox.opening_mails(host, since)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no opening mail for {host} in {timeout_s:g}s")
        await asyncio.sleep(0.005)
    return inbox.opening_mails(host, since)[count - 1]


async def report_to_mail(url: str, inbox: TimedInbox, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from each failing report to its last opening mail; and each one's round trip."""
    latencies, round_trips = [], []
    async with aiohttp.ClientSession() as session:
        for run in range(runs):
            host = f"r{run}"
            await _send(session, url, host, _report(host, 1, True, QUIET_INTERVAL_S))
            body = _report(host, 2, False, QUIET_INTERVAL_S)
            sent = await _send(session, url, host, body)
            round_trips.append(time.time() - sent)
            latencies.append(await _mails_of(inbox, host, sent) - sent)
    return latencies, round_trips


async def silence_to_mail(
    url: str, inbox: TimedInbox, runs: int, interval_s: float, sweep_s: float
) -> list[float]:
    """Seconds from each silent host's deadline to its last opening mail."""
    async with aiohttp.ClientSession() as session:

        async def fall_silent(host: str) -> float:
            await asyncio.sleep(random.uniform(0, sweep_s))  # a phase of its own in the sweep
            await _send(session, url, host, _report(host, 1, True, interval_s))
            answered = time.time()  # the collector's last_seen_at is no later than this
            return answered + MISSED * interval_s

        deadlines = await asyncio.gather(*(fall_silent(f"s{i}") for i in range(runs)))
    arrivals = await asyncio.gather(
        *(_mails_of(inbox, f"s{i}", d - MISSED * interval_s) for i, d in enumerate(deadlines))
    )
    return [arrived - deadline for arrived, deadline in zip(arrivals, deadlines, strict=True)]


def _row(label: str, values: list[float]) -> str:
    return f"{label:44} {statistics.median(values):8.3f} {max(values):8.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each kind (default 20)")
    parser.add_argument("--interval", type=float, default=1.0, help="silent hosts' interval, s")
    parser.add_argument("--sweep", type=float, default=2.0, help="heartbeat sweep interval, s")
    args = parser.parse_args()
    inbox = TimedInbox()
    with (
        tempfile.TemporaryDirectory(prefix="faultdesk-latency-") as tmp,
        smtp_server(inbox) as (
            _,
            smtp_port,
        ),
    ):
        directory = Path(tmp)
        _inventory(directory, args.runs, args.interval)
        http_port = free_port()
        monitoring = {"sweep_interval_s": args.sweep, "heartbeat_missed_intervals": MISSED}
        config = write_collector_config(directory, http_port, smtp_port, monitoring=monitoring)
        collector = start_collector(config, http_port, directory / "collector.log")
        try:
            url = f"http://127.0.0.1:{http_port}{protocol.REPORTS_PATH}"
            latencies, round_trips = asyncio.run(report_to_mail(url, inbox, args.runs))
            silences = asyncio.run(
                silence_to_mail(url, inbox, args.runs, args.interval, args.sweep)
            )
        finally:
            stop_process(collector)
    send_interval_s = MailSettings().send_interval_s
    _print(args, latencies, round_trips, silences, send_interval_s)


def _print(
    args: argparse.Namespace,
    latencies: list[float],
    round_trips: list[float],
    silences: list[float],
    send_interval_s: float,
) -> None:
    print(f"Fault latency to the SMTP server, {args.runs} runs each (median, max in seconds)")
    print(f"{'':44} {'median':>8} {'max':>8}")
    print(_row("baseline: the report's round trip (200)", round_trips))
    print(_row("first failing report -> mail", latencies))
    ratio = statistics.median(latencies) / statistics.median(round_trips)
    print(f"ratio (report -> mail / round trip, medians): {ratio:.1f}")
    print(f"goal: median <= 3 s, max <= 5 s; sender's look every {send_interval_s:g} s")
    print()
    deadline = MISSED * args.interval
    print(
        f"silence -> mail, from the deadline ({MISSED} missed x {args.interval:g} s interval), "
        f"heartbeat sweep every {args.sweep:g} s"
    )
    print(_row("silent host's deadline -> mail", silences))
    print(f"ratio (median / sweep interval): {statistics.median(silences) / args.sweep:.2f}")
    print(f"(silent for {deadline:g} s: the leader sweeps at that deadline, then mails)")


if __name__ == "__main__":
    main()
