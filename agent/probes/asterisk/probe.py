"""One sample of the PBX: a single AMI session per cycle, then the verdict on what it saw.

The session logs in with the secret read from ``secret_file`` (never logged, never reported),
runs the cycle's steps and closes with ``Logoff``. A failed action is recorded in ``errors`` and
the others still run; only a lost connection ends the session early.
"""

from __future__ import annotations

import logging

from agent.probes.ami import AmiAuthError, AmiClient, AmiConnectionError, AmiError
from agent.probes.asterisk.gatherers import cycle_steps
from agent.probes.asterisk.rows import Metrics
from agent.probes.asterisk.settings import AsteriskSettings, read_secret
from agent.probes.asterisk.verdict import evaluate
from agent.probes.base import ProbeEntry, entry

log = logging.getLogger(__name__)

#: How Asterisk answers an action whose module is not loaded.
_UNKNOWN_ACTION = "invalid/unknown command"


def collect(settings: AsteriskSettings) -> ProbeEntry:
    """Sample the PBX once; AMI down or login refused is ``critical`` with a readable reason."""
    if not settings.username or not settings.secret_file:
        return entry("error", {}, "asterisk probe needs both username and secret_file")
    try:
        secret = read_secret(settings.secret_file)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return entry("error", {}, f"cannot read AMI secret file {settings.secret_file}: {reason}")
    client = AmiClient(settings.host, settings.port, settings.timeout_s)
    try:
        with client:
            metrics = _session(client, settings, secret)
    except AmiAuthError as exc:
        return entry("critical", {"reachable": True, "logged_in": False}, exc.message)
    except AmiConnectionError as exc:
        reachable = client.ami_version is not None
        return entry("critical", {"reachable": reachable, "logged_in": False}, exc.message)
    status, problems = evaluate(metrics, settings)
    metrics["problems"] = problems
    return entry(status, metrics, "; ".join(problems) or None)


def _session(client: AmiClient, settings: AsteriskSettings, secret: str) -> Metrics:
    client.connect()
    auth = client.login(settings.username, secret)
    metrics: Metrics = {
        "reachable": True,
        "logged_in": True,
        "ami_version": client.ami_version,
        "auth": auth,
    }
    errors: dict[str, str] = {}
    for step in cycle_steps(settings):
        try:
            metrics.update(step.gather(client, settings))
        except AmiConnectionError:
            raise
        except AmiError as exc:
            if step.absent_metric and exc.message.lower().startswith(_UNKNOWN_ACTION):
                metrics[step.absent_metric] = None  # module not loaded here, which is fine
                continue
            log.info("AMI %s failed: %s", step.action, exc.message)
            errors[step.action] = exc.message
    client.logoff()
    metrics["errors"] = errors
    return metrics
