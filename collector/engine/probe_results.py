"""Probe results into the store and through the fault engine, in one transaction.

    check runs ─store─▶ probe_results
               ─rules.observations_from_probe─▶ observations ─pipeline.observe_hosts─▶ faults, mail

A result and the fault it raises are committed together, so a crash never leaves a stored
failure that the engine did not see (or a fault with no result behind it).

A run whose probe could not be carried out ("unknown": a bug, a bad option, an overloaded
collector) is stored but not observed: it says nothing about the customer's host, and counted
as a failure it could mark remote access lost, which pauses the customer's SLA clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from collector.config.settings import CollectorConfig
from collector.domain import rules
from collector.domain.watches import Observation, WatchState
from collector.engine import pipeline
from collector.engine.figures import probe_metric
from collector.probes.base import Verdict
from collector.store import inventory, watch_states
from collector.store import probe_results as probe_store
from collector.store import series as series_store
from collector.store.host_lookup import hosts_of_checks
from collector.store.inventory import Host
from collector.store.locks import hold_evaluation_lock
from collector.store.probe_results import HostCheck, ResultLike


@dataclass(frozen=True)
class CheckRun:
    """One finished run of one check: what it found, and when it started."""

    check: HostCheck
    result: ResultLike
    at: datetime


def record_runs(
    conn: Connection, config: CollectorConfig, runs: Sequence[CheckRun], now: datetime
) -> int:
    """Store the runs and evaluate them; returns how many were stored.

    Runs of checks deleted while they were in flight are dropped: their host may be gone too.
    """
    hold_evaluation_lock(conn)
    live = hosts_of_checks(conn, {run.check.id for run in runs})
    kept = sorted((run for run in runs if run.check.id in live), key=lambda run: run.at)
    if not kept:
        return 0
    probe_store.record_results(conn, [(run.check, run.result, run.at) for run in kept])
    series_store.record(conn, [sample for run in kept if (sample := latency_sample(run))])
    by_host: dict[str, list[CheckRun]] = defaultdict(list)
    for run in kept:
        by_host[run.check.host_id].append(run)
    engine_run = pipeline.Run(conn, config, now)
    # Read once for the batch: each host's observing writes only its own states.
    all_states = watch_states.load_many(conn, list(by_host))
    hosts = {host.id: host for host in live.values()}
    pipeline.observe_hosts(engine_run, _observed(engine_run, by_host, hosts, all_states))
    engine_run.announce_openings()
    return len(kept)


def _observed(
    engine_run: pipeline.Run,
    by_host: dict[str, list[CheckRun]],
    hosts: dict[str, Host],
    all_states: dict[str, dict[str, WatchState]],
) -> Iterator[tuple[Host, list[Observation], dict[str, WatchState]]]:
    """Each host with what its runs observed, and its states (the previous ones they read)."""
    for host_id, host_runs in by_host.items():
        host, states = _host(hosts, host_id), all_states[host_id]
        found: list[Observation] = []
        for run in host_runs:
            found += observations_of(run, engine_run, states)
        yield host, found, states


def latency_sample(run: CheckRun) -> series_store.Sample | None:
    """The run's latency as a figure of its host, when it measured one."""
    latency = run.result.latency_ms
    if latency is None or run.result.verdict is Verdict.UNKNOWN:
        return None
    metric = probe_metric(run.check.kind, run.check.name)
    return series_store.Sample(run.check.host_id, metric, int(run.at.timestamp()), latency)


def observations_of(
    run: CheckRun, engine_run: pipeline.Run, states: rules.Previous
) -> list[Observation]:
    result = run.result
    if result.verdict is Verdict.UNKNOWN:
        return []
    return rules.observations_from_probe(
        run.check.kind,
        str(result.verdict),
        result.detail,
        result.data,
        run.at,
        name=run.check.name or None,
        thresholds=engine_run.thresholds,
        previous=states,
    )


def _host(hosts: dict[str, Host], host_id: str) -> Host:
    found = hosts.get(host_id)
    if found is None:
        raise inventory.NotFound(f"no host {host_id!r}")
    return found
