"""``simulate`` speed: simulated days per second for a fleet with faults every few minutes, next
to replaying the same fleet's agent reports through the running collector's ingest (the
baseline), measured in one run.

    .venv/bin/python bench/simulate.py                       # 10 hosts, 6 hours: a few seconds
    .venv/bin/python bench/simulate.py --hosts 200 --days 7  # the goal: under 10 s

The scenario: customers of 10 hosts on mixed tiers; every ``--every`` simulated minutes one host
gets a fault (a full disk, Asterisk stopped, port 5038 closed, its SIP check failing, or its
agent silent) that clears 10 to 120 minutes later, and someone responds to it in between.
``faultdesk-collector simulate`` plays it whole, in process: its time excludes Python's start
and the command's imports, as the baseline's excludes the server's start.

The baseline is the real collector (``bench/ingest.py``'s server: SQLite, the fault engine
evaluating every report) fed the same hosts' signed reports, one per host per minute as their
agents would send them, with the same faults in them, until every report is evaluated. Replaying
a week of 200 hosts (2 million reports) would take hours, so it replays the first
``--replay-hours`` of the scenario and its rate is taken from that. The server runs without
its schedules (no heartbeat, SLA or paging sweeps, no remote checks), so the baseline is
ingest and the fault engine alone: the simulator does more work per simulated minute.

Measured on the shared 2-core machine (issue 11). Session 4, under a load of about 3: 200
hosts for 7 days 472 s, then 196 s, then 174 s (the store's hot statements built once, indexes
``0007_sim_indexes``, the vendor-network sweep reading open faults only).

Session 5, on an idle machine: the same week took 70 s at the start and 26.8 s at the end
(0.26 simulated days/s; replay 0.015, ratio 17), with the same 3237 incidents and 13098 mails
and a byte-identical ``--json``; the default size 1.0 s (0.25 days/s, replay 0.12, ratio 2.0).
What changed: a change settles after as many reports as its own check policy needs; the
heartbeat sweep folds only hosts whose heartbeat can change; a batch is claimed in the
statement that reads it; a fault's save returns what its mail needs; the SLA sweep and the
simulation's deadlines read each fact once for all incidents and work out again only the
incidents that changed; calendar maths is kept for inputs seen before; the clock stops for
paging only when a page could come. Still short of the 10 s goal: what is left is the real
pipeline deciding, writing and mailing 3237 incidents' faults (about 3 ms of Python and
SQLAlchemy each, opened and resolved) at ~8,500 clock stops.

Session 6, on a machine about half as fast (the same code took 55-72 s for the week): the week
took 55-58 s against 68-72 s for session 5's code run alternately with it, about 19% less, with
the same byte-identical ``--json``. 23,057 statements a simulated day instead of 28,514: a
fault's save returns its mail's contract tier and audience; the simulated clock keeps the
announcements in force and reads new timeline entries with their incidents; a step's incident
is known from what it wrote; new series' ids come back from their insert; a fleet is stored
with an upsert per check. What is left is spread thin: SQLAlchemy's own work per statement is a
quarter of the profile, and no one function of ours is more than 2%.

Session 7, the command's imports now outside the clock: the week took 11.9-12.5 s against
21.4-24.8 s for session 6's code run alternately with it (about half), 3237 incidents and 13098
mails, ``--json`` byte-identical; Python function calls a simulated day 8.46M -> 4.40M. The
hot statements (about 9,000 a simulated day) run on SQLite's own cursor through
``collector.store.hot_statements`` (Core's own SQL and processors, Core on PostgreSQL); the
scenario is parsed once and the cycle collector is off while it plays. Still short of 10 s:
a simulated day is ~1.7 s, ~1,170 stops of the whole pipeline, with SQLite itself now the
largest single cost and the rest spread over the engine, the mail and the sweeps.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent import protocol  # noqa: E402
from bench.ingest import drive, free_port, wait_evaluated, wait_up  # noqa: E402
from collector import cli  # noqa: E402
from collector.commands import simulate  # noqa: E402, F401  (imported before any timing)
from collector.commands.simulated_reports import probes_for  # noqa: E402
from collector.config.settings import CollectorConfig  # noqa: E402

START = datetime(2026, 11, 9, tzinfo=UTC)
TIERS = ("cat1", "cat2", "premium", "cat4", "premier")
FAULTS = (
    ("probe", "disk:/"),
    ("probe", "service:asterisk"),
    ("probe", "port:5038"),
    ("check", "sip"),
    ("agent", None),
)


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def fleet(hosts: int, days: float, every_min: float, seed: int = 11) -> dict[str, Any]:
    """The scenario, as ``simulate`` reads it."""
    rnd = random.Random(seed)
    end = START + timedelta(days=days)
    count = max(1, hosts // 10)
    customers = [
        {"id": f"c{i:03d}", "tier": TIERS[i % len(TIERS)],
         "timezone": "Europe/London" if i % 2 else "America/New_York",
         "region": "other" if i % 2 else "north_america"}
        for i in range(count)
    ]  # fmt: skip
    fleet_hosts = [
        {"id": f"h{i:04d}", "customer": f"c{i % count:03d}",
         "kind": "pbx" if i % 3 == 0 else "server",
         "checks": [{"name": "ssh", "kind": "ssh"}, {"name": "sip", "kind": "sip"}]}
        for i in range(hosts)
    ]  # fmt: skip
    events: list[dict[str, Any]] = []
    at = START + timedelta(minutes=5)
    while at < end - timedelta(hours=2):
        host = fleet_hosts[rnd.randrange(hosts)]["id"]
        kind, key = rnd.choice(FAULTS)
        clears = at + timedelta(minutes=rnd.randrange(10, 120))
        if kind == "agent":
            events += [{"at": at, "host": host, "agent": "silent"},
                       {"at": clears, "host": host, "agent": "reporting"}]  # fmt: skip
        else:
            events += [{"at": at, "host": host, kind: key, "status": "critical"},
                       {"at": clears, "host": host, kind: key, "status": "ok"}]  # fmt: skip
        respond = at + timedelta(minutes=rnd.randrange(3, 30))
        events.append({"at": respond, "host": host, "step": "respond", "by": "sam"})
        at += timedelta(minutes=every_min)
    events.sort(key=lambda e: e["at"])
    for event in events:
        event["at"] = _z(event["at"])
    return {"start": _z(START), "end": _z(end), "customers": customers,
            "hosts": fleet_hosts, "events": events}  # fmt: skip


def simulated(path: Path) -> tuple[float, int, int]:
    """Seconds to simulate the scenario; incidents and mails it produced."""
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["simulate", str(path), "--json"])
    elapsed = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"simulate exited {code}")
    outcome = json.loads(out.getvalue())
    return elapsed, len(outcome["incidents"]), len(outcome["mails"])


def agent_reports(scenario: dict[str, Any], hours: float) -> list[tuple[str, bytes]]:
    """Every report the fleet's agents send in the first ``hours``, one per host per minute,
    with the scenario's agent-reported faults in them, timed to end now."""
    config = CollectorConfig(secret_key="bench-simulate-secret")
    statuses: dict[str, dict[str, str]] = {h["id"]: {} for h in scenario["hosts"]}
    silent: set[str] = set()
    events = [e for e in scenario["events"] if "probe" in e or "agent" in e]
    minutes = int(hours * 60)
    shift = datetime.now(UTC) - (START + timedelta(minutes=minutes))
    out, index = [], 0
    for minute in range(minutes):
        at = START + timedelta(minutes=minute)
        while index < len(events) and events[index]["at"] <= _z(at):
            event = events[index]
            index += 1
            if "agent" in event:
                (silent.discard if event["agent"] == "reporting" else silent.add)(event["host"])
            else:
                statuses[event["host"]][event["probe"]] = event["status"]
        for host, status in statuses.items():
            if host in silent:
                continue
            report = protocol.build_report(
                host_id=host, seq=minute + 1, sampled_at=at + shift, interval_s=60,
                agent_version="bench", probes=probes_for(config, status),
            )  # fmt: skip
            out.append((host, protocol.encode(report)))
    return out


def replayed(scenario: dict[str, Any], hours: float, workdir: Path) -> tuple[float, int]:
    """Seconds for the running collector to take in and evaluate ``hours`` of reports."""
    port = free_port()
    work = agent_reports(scenario, hours)
    command = [sys.executable, str(ROOT / "bench" / "ingest.py"), "--serve", "collector"]
    command += ["--port", str(port), "--workdir", str(workdir)]
    command += ["--hosts", str(len(scenario["hosts"])), "--event-loop", "auto"]
    # bench/ingest.py's server names its hosts h0, h1, …: rename ours to match.
    names = {h["id"]: f"h{i}" for i, h in enumerate(scenario["hosts"])}
    work = [(names[host], body.replace(host.encode(), names[host].encode())) for host, body in work]
    server = subprocess.Popen(command, cwd=ROOT)
    try:
        asyncio.run(wait_up(port))
        started = time.perf_counter()
        asyncio.run(drive(port, work, 32))
        if wait_evaluated(workdir, 3600.0) is None:
            raise RuntimeError("the collector did not evaluate every report within an hour")
        return time.perf_counter() - started, len(work)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--days", type=float, default=0.25)
    parser.add_argument("--every", type=float, default=3.0, help="minutes between faults")
    parser.add_argument("--replay-hours", type=float, default=1.0)
    args = parser.parse_args()
    scenario = fleet(args.hosts, args.days, args.every)
    hours = min(args.replay_hours, args.days * 24)
    with tempfile.TemporaryDirectory(prefix="faultdesk-simulate-") as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_text(yaml.safe_dump(scenario, sort_keys=False))
        sim_s, incidents, mails = simulated(path)
        replay_s, reports = replayed(scenario, hours, Path(tmp))
    sim_rate, replay_rate = args.days / sim_s, hours / 24 / replay_s
    print(f"{args.hosts} hosts, {args.days:g} simulated days, a fault every {args.every:g} min "
          f"({len(scenario['events'])} events)")  # fmt: skip
    print(f"baseline  collector ingest replay : {replay_rate:9.4f} simulated days/s "
          f"({reports} reports of the first {hours:g} h in {replay_s:.1f} s)")  # fmt: skip
    print(f"faultdesk-collector simulate      : {sim_rate:9.4f} simulated days/s "
          f"({sim_s:.1f} s; {incidents} incidents, {mails} mails)")  # fmt: skip
    print(f"ratio simulate/replay             : {sim_rate / replay_rate:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
