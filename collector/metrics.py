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
