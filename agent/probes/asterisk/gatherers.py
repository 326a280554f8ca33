"""Which AMI actions the probe runs each cycle, in order, and what each contributes.

Each gatherer asks one action and turns the answer into metrics with ``rows``. A step is
optional when its module may rightly be absent: Asterisk then answers "Invalid/unknown
command" and the metric is ``None`` (not loaded) rather than an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from agent.probes.ami import AmiClient
from agent.probes.asterisk import rows
from agent.probes.asterisk.rows import Metrics
from agent.probes.asterisk.settings import AsteriskSettings

Gatherer = Callable[[AmiClient, AsteriskSettings], Metrics]


@dataclass(frozen=True)
class Step:
    """One action of the cycle; ``absent_metric`` is set to None when its module is absent."""

    action: str
    gather: Gatherer
    absent_metric: str | None = None  # None: an unknown action is an error like any other


def cycle_steps(settings: AsteriskSettings) -> list[Step]:
    """The cycle's actions: PJSIP is optional on a chan_sip box, queues always."""
    pjsip_absent = settings.chan_sip
    steps = [
        Step("Ping", _ping),
        Step("CoreStatus", _core_status),
        Step("CoreSettings", _core_settings),
        Step("PJSIPShowEndpoints", _endpoints, "endpoints" if pjsip_absent else None),
        Step(
            "PJSIPShowRegistrationsOutbound",
            _registrations,
            "registrations" if pjsip_absent else None,
        ),
        Step("PJSIPShowContacts", _contacts, "contacts" if pjsip_absent else None),
        Step("CoreShowChannels", _channels),
        Step("QueueSummary", _queues, "queues"),
    ]
    if settings.chan_sip:
        steps += [Step("SIPpeers", _sip_peers), Step("SIPshowregistry", _sip_registry)]
    return steps


def _ping(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    started = time.perf_counter()
    client.action("Ping")
    return {"ping_ms": round((time.perf_counter() - started) * 1000, 3)}


def _core_status(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    status = client.action("CoreStatus")
    return rows.core_status(status, settings.pbx_timezone, datetime.now(UTC))


def _core_settings(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    return rows.core_settings(client.action("CoreSettings"))


def _endpoints(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    events = client.list_action("PJSIPShowEndpoints").items("EndpointList")
    return {"endpoints": [rows.endpoint_row(event, settings.trunks) for event in events]}


def _registrations(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    answer = client.list_action("PJSIPShowRegistrationsOutbound")
    events = answer.items("OutboundRegistrationDetail")
    return {"registrations": [rows.registration_row(event) for event in events]}


def _contacts(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    events = client.list_action("PJSIPShowContacts").items("ContactList")
    return {"contacts": [rows.contact_row(event, settings.trunks) for event in events]}


def _channels(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    events = client.list_action("CoreShowChannels").items("CoreShowChannel")
    return {"channels": rows.channels_summary(events)}


def _queues(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    events = client.list_action("QueueSummary").items("QueueSummary")
    return {"queues": [rows.queue_row(event) for event in events]}


def _sip_peers(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    events = client.list_action("SIPpeers").items("PeerEntry")
    return {"sip_peers": [rows.sip_peer_row(event, settings.trunks) for event in events]}


def _sip_registry(client: AmiClient, settings: AsteriskSettings) -> Metrics:
    events = client.list_action("SIPshowregistry").items("RegistryEntry")
    return {"sip_registry": [rows.sip_registry_row(event) for event in events]}
