"""Prometheus metrics, one registry per application so tests and the demo never share state."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

INGEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
PROBE_BUCKETS = (*INGEST_BUCKETS, 5, 10)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reports_accepted = self._counter(
            "faultdesk_reports_accepted",
            "Agent reports accepted and committed (duplicates included).",
        )
        self.reports_rejected = self._counter(
            "faultdesk_reports_rejected", "Agent reports refused, by reason.", ["reason"]
        )
        self.ingest_latency = self._histogram(
            "faultdesk_ingest_latency_seconds",
            "Time from a report arriving to its answer, commit included.",
            INGEST_BUCKETS,
        )
        self.open_faults = self._gauge(
            "faultdesk_open_faults", "Faults currently open, by severity.", ["severity"]
        )
        self.outbox_depth = self._gauge(
            "faultdesk_outbox_depth", "Messages in the outbox, by status.", ["status"]
        )
        self.mail_sent = self._counter(
            "faultdesk_mail_sent", "Messages delivered to the SMTP relay."
        )
        self.mail_failures = self._counter(
            "faultdesk_mail_failures",
            "Failed delivery attempts, by whether a retry can help.",
            ["permanent"],
        )
        self.mail_given_up = self._counter(
            "faultdesk_mail_given_up",
            "Messages marked failed, by reason: permanent (cannot be built, or refused for "
            "good) or attempts (max_attempts used up).",
            ["reason"],
        )
        self._add_schedule_metrics()
        self._add_probe_metrics()
        self._add_snmp_metrics()

    def _counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(name, documentation, labels, registry=self.registry)

    def _gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, documentation, labels, registry=self.registry)

    def _histogram(
        self,
        name: str,
        documentation: str,
        buckets: Sequence[float],
        labels: Sequence[str] = (),
    ) -> Histogram:
        return Histogram(name, documentation, labels, buckets=buckets, registry=self.registry)

    def _add_schedule_metrics(self) -> None:
        """Of several collectors on one database only the elected leader runs the schedules."""
        self.leader = self._gauge(
            "faultdesk_leader",
            "1 while this collector is the leader that runs the schedules, else 0.",
        )
        self.scheduled_runs = self._counter(
            "faultdesk_scheduled_runs",
            "Runs of each scheduled job started by this collector, by job.",
            ["job"],
        )

    def _add_probe_metrics(self) -> None:
        """Remote checks: checks per second is ``rate(faultdesk_probe_checks_run_total[5m])``."""
        self.probe_latency = self._histogram(
            "faultdesk_probe_latency_seconds",
            "Latency of remote checks that got an answer, by kind (ssh, http, sip, tcp).",
            PROBE_BUCKETS,
            ["kind"],
        )
        self.probe_checks_run = self._counter(
            "faultdesk_probe_checks_run", "Remote checks run, by kind.", ["kind"]
        )
        self.probe_failures = self._counter(
            "faultdesk_probe_failures",
            "Remote checks whose verdict was not ok (warning, critical or unknown), by kind.",
            ["kind"],
        )
        self.probe_scheduler_lag = self._histogram(
            "faultdesk_probe_scheduler_lag_seconds",
            "How late a remote check started compared with when it was due.",
            LAG_BUCKETS,
        )
        self.probe_checks_waiting = self._gauge(
            "faultdesk_probe_checks_waiting",
            "Remote checks due and waiting for a free probing slot.",
        )

    def _add_snmp_metrics(self) -> None:
        """SNMP traps: the reasons are a fixed set, never the sender (unbounded labels)."""
        self.snmp_traps_received = self._counter(
            "faultdesk_snmp_traps_received",
            "SNMP traps accepted from known hosts with the right credentials.",
        )
        self.snmp_traps_dropped = self._counter(
            "faultdesk_snmp_traps_dropped",
            "SNMP datagrams dropped, by reason: unknown_source, bad_community, malformed, "
            "wrong_version, bad_v3 (unknown user, wrong key or engine id).",
            ["reason"],
        )
        self.snmp_polls = self._counter(
            "faultdesk_snmp_polls",
            "SNMP polls of hosts, by outcome (answered, unanswered).",
            ["outcome"],
        )
