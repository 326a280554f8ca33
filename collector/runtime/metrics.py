"""Prometheus metrics, one registry per application so tests and the demo never share state."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reports_accepted = Counter(
            "faultdesk_reports_accepted",
            "Agent reports accepted and committed (duplicates included).",
            registry=self.registry,
        )
        self.reports_rejected = Counter(
            "faultdesk_reports_rejected",
            "Agent reports refused, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.ingest_latency = Histogram(
            "faultdesk_ingest_latency_seconds",
            "Time from a report arriving to its answer, commit included.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.open_faults = Gauge(
            "faultdesk_open_faults",
            "Faults currently open, by severity.",
            ["severity"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "faultdesk_outbox_depth",
            "Messages in the outbox, by status.",
            ["status"],
            registry=self.registry,
        )
        self.mail_sent = Counter(
            "faultdesk_mail_sent", "Messages delivered to the SMTP relay.", registry=self.registry
        )
        self.mail_failures = Counter(
            "faultdesk_mail_failures",
            "Failed delivery attempts, by whether a retry can help.",
            ["permanent"],
            registry=self.registry,
        )
        self.mail_given_up = Counter(
            "faultdesk_mail_given_up",
            "Messages marked failed, by reason: permanent (cannot be built, or refused for "
            "good) or attempts (max_attempts used up).",
            ["reason"],
            registry=self.registry,
        )
        self._add_schedule_metrics()
        self._add_probe_metrics()
        self._add_snmp_metrics()

    def _add_schedule_metrics(self) -> None:
        """Of several collectors on one database only the elected leader runs the schedules."""
        self.leader = Gauge(
            "faultdesk_leader",
            "1 while this collector is the leader that runs the schedules, else 0.",
            registry=self.registry,
        )
        self.scheduled_runs = Counter(
            "faultdesk_scheduled_runs",
            "Runs of each scheduled job started by this collector, by job.",
            ["job"],
            registry=self.registry,
        )

    def _add_probe_metrics(self) -> None:
        """Remote checks: checks per second is ``rate(faultdesk_probe_checks_run_total[5m])``."""
        self.probe_latency = Histogram(
            "faultdesk_probe_latency_seconds",
            "Latency of remote checks that got an answer, by kind (ssh, http, sip, tcp).",
            ["kind"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.probe_checks_run = Counter(
            "faultdesk_probe_checks_run",
            "Remote checks run, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.probe_failures = Counter(
            "faultdesk_probe_failures",
            "Remote checks whose verdict was not ok (warning, critical or unknown), by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.probe_scheduler_lag = Histogram(
            "faultdesk_probe_scheduler_lag_seconds",
            "How late a remote check started compared with when it was due.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=self.registry,
        )
        self.probe_checks_waiting = Gauge(
            "faultdesk_probe_checks_waiting",
            "Remote checks due and waiting for a free probing slot.",
            registry=self.registry,
        )

    def _add_snmp_metrics(self) -> None:
        """SNMP traps: the reasons are a fixed set, never the sender (unbounded labels)."""
        self.snmp_traps_received = Counter(
            "faultdesk_snmp_traps_received",
            "SNMP traps accepted from known hosts with the right credentials.",
            registry=self.registry,
        )
        self.snmp_traps_dropped = Counter(
            "faultdesk_snmp_traps_dropped",
            "SNMP datagrams dropped, by reason: unknown_source, bad_community, malformed, "
            "wrong_version, bad_v3 (unknown user, wrong key or engine id).",
            ["reason"],
            registry=self.registry,
        )
        self.snmp_polls = Counter(
            "faultdesk_snmp_polls",
            "SNMP polls of hosts, by outcome (answered, unanswered).",
            ["outcome"],
            registry=self.registry,
        )
