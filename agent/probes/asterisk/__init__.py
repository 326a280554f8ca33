"""Asterisk over AMI: is the PBX up, are its trunks registered, can it reach its phones?

``probe`` runs one AMI session per cycle through the steps in ``gatherers``; ``rows`` and
``fields`` turn Asterisk's fields into the metrics below; ``verdict`` decides the status and
``events`` spots restarts and reloads between cycles. Metrics::

    reachable, logged_in, ami_version, auth ("md5" | "plaintext"), ping_ms,
    startup_at, reload_at (UTC ISO 8601), uptime_s, current_calls, processed_calls,
    asterisk_version, max_calls, system_name,
    endpoints      [{name, device_state, trunk, active_channels}]
    registrations  [{name, status, server_uri, client_uri, endpoint}]
    contacts       [{name, aor, endpoint, uri, status, rtt_ms, trunk}]
    channels       {count, longest_s, longest_channel}
    queues         [{queue, logged_in, available, callers, hold_time_s, talk_time_s,
                     longest_hold_s}] or None without app_queue
    sip_peers, sip_registry (chan_sip=True only), problems [...], errors {action: message}

Status: critical when AMI is unreachable or refuses the login, or as ``verdict`` says.
"""

from agent.probes.asterisk.events import detect_events
from agent.probes.asterisk.probe import collect
from agent.probes.asterisk.settings import AsteriskSettings, read_secret
from agent.probes.asterisk.verdict import evaluate

__all__ = ["AsteriskSettings", "collect", "detect_events", "evaluate", "read_secret"]
