"""The agent's loop: sample every probe each interval, spool the report, deliver the spool.

Each report goes to the spool before any attempt to send it, and the spool is delivered oldest
first whenever the collector answers, so replayed reports and live ones arrive in ``seq`` order
and nothing is only in memory. A report leaves the spool when the collector accepts it, or
refuses it for good (400, 413: it moves to the dead-letter folder); any other refusal is
retried with backoff, like an outage. The loop runs in a worker thread and sleeps on an Event; the
main thread only waits for it and turns signals into requests (SIGTERM/SIGINT stop, SIGHUP
reloads), so a signal never lands while the worker holds a lock.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

from agent.config import AgentConfig, ConfigError, load_config
from agent.dead_letter import DEAD_LETTER_DIR, DeadLetters
from agent.keyfile import KeyFileError, open_to_others, read_host_key
from agent.probes.base import ProbeEntry, entry, run_probe
from agent.protocol import MAX_BODY_BYTES, build_report, encode, rfc3339
from agent.sender import Outcome, Sender, SendResult, backoff_delay, jitter
from agent.spool import STATE_FILE, AgentState, Spool
from agent.spool_report import spool_entry, spool_events

log = logging.getLogger(__name__)

Metrics = dict[str, Any]
#: The collector refuses longer error texts.
MAX_ERROR_CHARS = 4000


class ConfiguredProbe(NamedTuple):
    """A probe ready to run, with what its event detector needs to remember between samples."""

    name: str
    collect: Callable[[], ProbeEntry]
    detect_events: Callable[[Metrics | None, Metrics], list[dict[str, Any]]] | None = None
    remember: Callable[[Metrics], Metrics] | None = None


def build_probes(config: AgentConfig) -> list[ConfiguredProbe]:
    """The configured probes; each family's module is imported only when it is configured."""
    probes: list[ConfiguredProbe] = []
    if config.system is not None:
        from agent.probes import system

        collect = partial(system.collect, config.system)
        probes.append(ConfiguredProbe("system", collect, system.detect_events, system.remember))
    if config.services is not None:
        from agent.probes.services import ServicesProbe

        services = ServicesProbe(config.services, scan_every=config.process_scan_every)
        probes.append(ConfiguredProbe("services", services.collect))
    if config.asterisk is not None:
        from agent.probes import asterisk

        _warn_if_open(Path(config.asterisk.secret_file))
        collect = partial(asterisk.collect, config.asterisk)
        probes.append(ConfiguredProbe("asterisk", collect, asterisk.detect_events, _pbx_times))
    if config.sip is not None:
        from agent.probes import sip

        probes.append(ConfiguredProbe("sip", partial(sip.collect, config.sip)))
    return probes


def _warn_if_open(secret_file: Path) -> None:
    mode = open_to_others(secret_file)
    if mode is not None:
        log.warning(
            "AMI secret file %s is accessible by group or others (mode %04o); chmod 600 it",
            secret_file,
            mode,
        )


def _pbx_times(metrics: Metrics) -> Metrics:
    return {"startup_at": metrics.get("startup_at"), "reload_at": metrics.get("reload_at")}


def sample_probes(
    probes: list[ConfiguredProbe], memory: dict[str, Any]
) -> tuple[dict[str, ProbeEntry], list[dict[str, Any]]]:
    """Run every probe (a failing one becomes an error entry) and detect events.

    ``memory`` holds, per probe, what the previous sample that had it remembered; samples
    without it (the PBX was down) leave it alone so a restart during an outage is still seen.
    """
    entries: dict[str, ProbeEntry] = {}
    events: list[dict[str, Any]] = []
    for probe in probes:
        result = run_probe(probe.name, probe.collect)
        if isinstance(result.get("error"), str) and len(result["error"]) > MAX_ERROR_CHARS:
            result["error"] = result["error"][: MAX_ERROR_CHARS - 1] + "…"
        entries[probe.name] = result
        if probe.detect_events is None or probe.remember is None:
            continue
        current = probe.remember(result.get("metrics") or {})
        if all(value is None for value in current.values()):
            continue
        try:
            events += probe.detect_events(memory.get(probe.name), current)
        except Exception:  # a boundary, like run_probe: a detector bug must not stop the report
            log.exception("event detection for probe %s failed", probe.name)
        memory[probe.name] = current
    return entries, events


def encode_report(report: dict[str, Any]) -> bytes:
    """The wire body; a probe whose data is not JSON becomes an error entry, not a lost report."""
    try:
        return encode(report)
    except (TypeError, ValueError):
        pass
    for name, probe_entry in report["probes"].items():
        try:
            encode(probe_entry)
        except (TypeError, ValueError) as exc:
            log.error("probe %s returned data that is not JSON: %s", name, exc)
            report["probes"][name] = entry("error", {}, f"probe returned non-JSON data: {exc}")
    report["events"] = [e for e in report["events"] if _is_json(e)]
    return encode(report)


def _is_json(value: Any) -> bool:
    try:
        encode(value)
    except (TypeError, ValueError):
        return False
    return True


#: The version of both distributions: their pyproject.toml files read it from here. A constant,
#: because asking importlib.metadata would cost the agent several MiB of memory.
AGENT_VERSION = "0.1.0"


class Agent:
    """One running agent: its config, probes, spool, persisted state and sender."""

    def __init__(self, config_path: Path, config: AgentConfig, key: bytes) -> None:
        self.config_path = config_path
        self.config = config
        self.version = AGENT_VERSION
        self.spool = Spool(config.spool_dir, config.spool_max_bytes, config.spool_max_age_s)
        self.state = AgentState.load(config.spool_dir / STATE_FILE)
        self.state.note_dropped(self.spool.enforce_bounds())
        self.dead_letters = DeadLetters(config.spool_dir / DEAD_LETTER_DIR)
        self.probes: list[ConfiguredProbe] = build_probes(config)
        self.sender = _sender(config, key)
        self._wake = threading.Event()
        self._stopping = False
        self._reload_requested = False
        self._failures = 0
        self._last_failure: int | None = None  # the HTTP status of the last failed attempt
        self._next_send = 0.0
        self._next_sample = 0.0

    def request_stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def request_reload(self) -> None:
        self._reload_requested = True
        self._wake.set()

    def run_forever(self) -> None:
        """Sample on schedule and deliver, until :meth:`request_stop`."""
        log.info(
            "agent %s for host %s reporting to %s every %gs (%d reports spooled)",
            self.version,
            self.config.host_id,
            self.sender.url,
            self.config.interval_s,
            len(self.spool),
        )
        self._next_sample = time.monotonic()
        while not self._stopping:
            if self._reload_requested:
                self._reload_requested = False
                self.reload()
            now = time.monotonic()
            if now >= self._next_sample:
                self.sample_once()
                self._next_sample += self.config.interval_s
                if self._next_sample <= now:  # fell behind (suspend, slow probe): skip ahead
                    self._next_sample = now + self.config.interval_s
            if len(self.spool) and time.monotonic() >= self._next_send:
                self.deliver_spool(until=self._next_sample)
            wake_at = self._next_sample
            if len(self.spool):
                wake_at = min(wake_at, self._next_send)
            self._wake.wait(max(0.0, wake_at - time.monotonic()))
            self._wake.clear()
        log.info("agent stopping (%d reports spooled for later)", len(self.spool))

    def sample_once(self) -> int | None:
        """Sample every probe and spool the report; returns its ``seq`` (None if not stored)."""
        sampled_at = datetime.now(UTC)
        probes, events = sample_probes(self.probes, self.state.memory)
        seq = self.state.next_seq(self.spool.max_seq())
        probes["spool"] = spool_entry(self.spool, self.state, self.dead_letters)
        events += spool_events(self.state, self.dead_letters)
        report = build_report(
            host_id=self.config.host_id,
            seq=seq,
            sampled_at=sampled_at,
            interval_s=self.config.interval_s,
            agent_version=self.version,
            probes=probes,
            events=events,
        )
        body = encode_report(report)
        if len(body) > MAX_BODY_BYTES:
            log.error("report seq %d is %d bytes, over the collector's limit", seq, len(body))
        try:
            dropped = self.spool.add(seq, body)
            self.state.dropped = self.state.dead_lettered = 0  # told in the report just spooled
            self.state.note_dropped(dropped)
            self.state.save()
        except OSError as exc:  # a full or read-only disk: keep sampling, say so each time
            log.error("cannot write report seq %d to the spool: %s", seq, exc)
            return None
        return seq

    def deliver_spool(self, until: float = math.inf) -> None:
        """Send spooled reports oldest first until one has to wait or ``until`` (monotonic)."""
        attempted = False
        try:
            while not self._stopping and time.monotonic() < until:
                seq = self.spool.oldest_seq()
                if seq is None:
                    return
                attempted = True
                if not self._deliver(seq):
                    return
        finally:
            if attempted:
                self._save_state()

    def _deliver(self, seq: int) -> bool:
        """One attempt at the oldest report; False when the spool has to wait."""
        try:
            body = self.spool.read(seq)
        except OSError as exc:
            log.error("spooled report seq %d unreadable (%s); dropping it", seq, exc)
            self.spool.remove(seq)
            self.state.note_dropped(1)
            return True
        result = self.sender.send(body)
        if result.outcome is Outcome.REFUSED and not self._set_aside(seq, body, result):
            result = result._replace(outcome=Outcome.RETRY)
        if result.outcome is Outcome.RETRY:
            self.state.note_retried()
            self._postpone(seq, result)
            return False
        if result.outcome is Outcome.DELIVERED:
            self.state.note_delivered()
            if self._failures:
                log.info(
                    "collector reachable again after %d failed attempts; "
                    "delivering %d spooled reports",
                    self._failures,
                    len(self.spool),
                )
        self._failures = 0
        self._last_failure = None
        self.spool.remove(seq)
        return True

    def _set_aside(self, seq: int, body: bytes, result: SendResult) -> bool:
        """Move a report refused for good to the dead-letter folder; False if it cannot be
        written there (then it stays in the spool: it is never only deleted)."""
        refused_at = rfc3339(datetime.now(UTC))
        try:
            path = self.dead_letters.add(seq, body, result.status, result.detail, refused_at)
        except OSError as exc:
            log.error("cannot set refused report seq %d aside (%s); keeping it", seq, exc)
            return False
        self.state.note_dead_lettered()
        self._save_state()  # before the spool forgets it: the count must not be lost
        log.error(
            "collector refused report seq %d for good (HTTP %s: %s); moved it to %s",
            seq,
            result.status,
            result.detail,
            path,
        )
        return True

    def _save_state(self) -> None:
        try:
            self.state.save()
        except OSError as exc:
            log.error("cannot save the agent state to %s: %s", self.state.path, exc)

    def _postpone(self, seq: int, result: SendResult) -> None:
        self._failures += 1
        interval = self.config.interval_s
        delay = backoff_delay(self._failures, min(2.0, interval / 4), interval, jitter)
        if result.retry_after_s is not None:
            delay = max(delay, result.retry_after_s)
        self._next_send = time.monotonic() + delay
        # Said once per change of answer, not at every attempt of a long outage.
        news = self._failures == 1 or result.status != self._last_failure
        self._last_failure = result.status
        if result.status == 401:
            say = log.error if news else log.debug
            say(
                "report seq %d refused (HTTP 401: %s): the host key in %s or this host's clock "
                "is probably wrong; %d reports kept in the spool, next try in %.1fs",
                seq,
                result.detail,
                self.config.key_file,
                len(self.spool),
                delay,
            )
            return
        say = log.warning if news else log.debug
        say(
            "report seq %d not delivered (%s%s); %d reports kept in the spool, next try in %.1fs",
            seq,
            f"HTTP {result.status}: " if result.status else "",
            result.detail,
            len(self.spool),
            delay,
        )

    def reload(self) -> None:
        """Re-read the config file; a bad new config is logged and the old one kept."""
        try:
            config = load_config(self.config_path)
            sender = _sender(config, read_host_key(config.key_file))
        except (ConfigError, KeyFileError, OSError) as exc:
            log.error("reload refused, keeping the running configuration: %s", exc)
            return
        if config.spool_dir != self.config.spool_dir:
            log.warning("spool_dir changes need a restart; still using %s", self.config.spool_dir)
        self.spool.max_bytes = config.spool_max_bytes
        self.spool.max_age_s = config.spool_max_age_s
        self.probes = build_probes(config)
        self.sender = sender
        self.config = config
        logging.getLogger().setLevel(config.log_level.upper())
        self._next_send = 0.0
        log.info("configuration reloaded from %s", self.config_path)


def _sender(config: AgentConfig, key: bytes) -> Sender:
    return Sender(
        config.collector_url,
        config.host_id,
        key,
        timeout_s=config.timeout_s,
        ca_bundle=config.ca_bundle,
    )


def run_agent(config_path: Path, config: AgentConfig, key: bytes) -> int:
    """Run until SIGTERM/SIGINT (exit 0); SIGHUP reloads. Returns the process exit code."""
    try:
        agent = Agent(config_path, config, key)
    except OSError as exc:  # spool_dir not writable, ca_bundle not PEM...
        log.critical("cannot start: %s", exc)
        return 2
    crashed: list[BaseException] = []

    def work() -> None:
        try:
            agent.run_forever()
        except BaseException as exc:
            crashed.append(exc)
            log.critical("agent loop crashed", exc_info=True)

    def on_stop(signum: int, frame: FrameType | None) -> None:
        log.info("%s received", signal.Signals(signum).name)
        agent.request_stop()

    def on_reload(signum: int, frame: FrameType | None) -> None:
        agent.request_reload()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_reload)
    worker = threading.Thread(target=work, name="agent-loop")
    worker.start()
    worker.join()  # signal handlers run in this (main) thread while it waits here
    return 1 if crashed else 0
