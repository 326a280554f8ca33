"""Runs one configured check: its options JSON becomes the probe's arguments.

Options are validated here, once, with the same models the inventory file and the admin
command use, so a typo is refused when the check is added rather than failing every interval.

    ssh   target host[:port]; port, user, key (private key file), host_key (pinned, an
          OpenSSH public key line; a key login needs it, or trust_any_host_key), timeout_s
    http  target URL; expect_status (200 or [200, 301] or "200,301"), expect_text,
          follow_redirects, ca_file, cert_warning_days, cert_critical_days, timeout_s
    sip   target host[:port]; port, transport (udp|tcp), uri_user, timeout_s
    tcp   target host[:port]; port (needed when the target has none), timeout_s
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from collector.probes.base import ProbeResult, Verdict
from collector.probes.http import HttpSession, http_session, probe_http
from collector.probes.sip import probe_sip
from collector.probes.ssh import SshLogin, parse_host_key, probe_ssh
from collector.probes.targets import DEFAULT_PORT, split_target
from collector.probes.tcp import probe_tcp
from collector.store.probe_results import HostCheck

log = logging.getLogger(__name__)

#: How long past its own timeout a probe may take before the runner gives up on it.
GRACE_S = 2.0
DEFAULT_TIMEOUT_S = {"ssh": 10.0, "http": 10.0, "sip": 4.0, "tcp": 5.0}

#: Prepared checks (and option sets) remembered at most; past it the memory starts afresh.
MAX_CACHED = 100_000


@dataclass(frozen=True)
class ProbeFailure:
    """The probe itself broke (a bug, a bad option): "unknown", never evidence of an outage,
    so a fault of ours cannot pause a customer's SLA clock as remote access lost would."""

    kind: str
    target: str
    detail: str
    verdict: Verdict = Verdict.UNKNOWN
    latency_ms: float | None = None
    data: dict[str, Any] = field(default_factory=dict)


CheckOutcome = ProbeResult | ProbeFailure
#: What the scheduler calls to run a check; tests inject their own.
ProbeFunction = Callable[[HostCheck], Awaitable[CheckOutcome]]


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    timeout_s: float | None = Field(None, gt=0)


class SshOptions(_Options):
    port: int | None = Field(None, ge=1, le=65535)
    user: str | None = None
    key: str | None = None
    host_key: str | None = None
    #: A key login without ``host_key`` logs in to whatever answers: only when said so.
    trust_any_host_key: bool = False

    @field_validator("host_key")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_host_key(value)  # ValueError names the problem
        return value

    @model_validator(mode="after")
    def _login_complete(self) -> SshOptions:
        if bool(self.user) != bool(self.key):
            raise ValueError("user and key go together (a key login needs both)")
        if self.host_key and not self.user:
            raise ValueError("host_key pins a key login: give user and key too")
        if self.user and not self.host_key and not self.trust_any_host_key:
            # Sending a login to a server whose key is not checked is how keys get phished.
            raise ValueError(
                "a key login needs host_key (ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-), "
                "or trust_any_host_key=true to log in without checking the server"
            )
        return self


class HttpOptions(_Options):
    expect_status: set[int] | None = None
    expect_text: str | None = None
    follow_redirects: bool = True
    ca_file: str | None = None
    cert_warning_days: float = Field(14.0, ge=0)
    cert_critical_days: float = Field(3.0, ge=0)

    @field_validator("expect_status", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        if isinstance(value, int):
            return {value}
        if isinstance(value, str):
            return {int(code) for code in value.split(",") if code.strip()}
        return value


class SipOptions(_Options):
    port: int | None = Field(None, ge=1, le=65535)
    transport: Literal["udp", "tcp"] = "udp"
    uri_user: str | None = None


class TcpOptions(_Options):
    port: int | None = Field(None, ge=1, le=65535)


OPTION_MODELS: dict[str, type[_Options]] = {
    "ssh": SshOptions,
    "http": HttpOptions,
    "sip": SipOptions,
    "tcp": TcpOptions,
}


def parse_options(kind: str, target: str, options: Mapping[str, Any]) -> _Options:
    """Validate a check's target and options; ValueError names the field that is wrong."""
    parsed = _parse_model(kind, options)
    _check_target(kind, target, parsed)
    return parsed


def _parse_model(kind: str, options: Mapping[str, Any]) -> _Options:
    model = OPTION_MODELS.get(kind)
    if model is None:
        raise ValueError(f"unknown check kind {kind!r}; expected one of {', '.join(OPTION_MODELS)}")
    try:
        parsed = model.model_validate(dict(options))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or kind}: {error['msg']}"
            for error in exc.errors()
        )
        if any(error["type"] == "extra_forbidden" for error in exc.errors()):
            problems += f" (the {kind} options are: {', '.join(model.model_fields)})"
        raise ValueError(f"{kind} check options: {problems}") from None
    return parsed


def _check_target(kind: str, target: str, parsed: _Options) -> None:
    if kind == "http":
        if not target.lower().startswith(("http://", "https://")):
            raise ValueError(f"http check target must be an http(s):// URL, got {target!r}")
    else:
        split_target(target, getattr(parsed, "port", None), DEFAULT_PORT.get(kind))


def _times_every_wait(options: _Options) -> bool:
    """TCP, SSH banner and HTTP probes run under one timer of their own from connect to reply
    (``collector.probes.wire``), so a second one here could never fire first; key logins and
    SIP (a worker thread) get the runner's own deadline as well."""
    if isinstance(options, SshOptions):
        return not options.user
    return isinstance(options, TcpOptions | HttpOptions)


def _options_key(kind: str, options: Mapping[str, Any]) -> Hashable | None:
    """A key equal for equal options, or None when a value cannot be hashed (a list)."""
    if not options:
        return kind  # most checks
    key = (kind, tuple(sorted(options.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


class _Prepared(NamedTuple):
    """A check made ready to run: the probe call with its arguments bound."""

    check: HostCheck
    probe: Callable[[], Awaitable[ProbeResult]]
    timeout_s: float
    times_itself: bool


class ProbeRunner:
    """Runs checks; one shared HTTP session so TLS contexts are reused.

    ``run`` is the one boundary: whatever goes wrong inside a probe becomes a result.
    """

    def __init__(self, *, http_limit: int = 100, grace_s: float = GRACE_S) -> None:
        self._http_limit = http_limit
        self._grace_s = grace_s
        self._session: HttpSession | None = None
        # Checks come round every interval unchanged, and preparing one (validating its
        # options, splitting its target) costs more than some probes: check id -> prepared,
        # and the options models by value (most checks share a handful of option sets).
        self._prepared: dict[int, _Prepared] = {}
        self._models: dict[Hashable, _Options] = {}

    async def run(self, check: HostCheck) -> CheckOutcome:
        prepared = self._prepared.get(check.id)
        if prepared is None or prepared.check != check:
            try:
                prepared = self._prepare(check)
            except ValueError as exc:
                return ProbeFailure(check.kind, check.target, f"bad check configuration: {exc}")
        try:
            if prepared.times_itself:
                return await prepared.probe()
            async with asyncio.timeout(prepared.timeout_s + self._grace_s):
                return await prepared.probe()
        except TimeoutError:
            # Probes time their own network waits, so overrunning means a wait on our side (a
            # queue for worker threads, a resolver): unknown, not evidence the host is down.
            detail = f"probe did not finish within {prepared.timeout_s + self._grace_s:g} s"
            return ProbeFailure(check.kind, check.target, detail)
        except Exception as exc:  # the boundary: a broken probe is unknown, not an outage
            log.exception("check %s of %s failed to run", check.label, check.host_id)
            return ProbeFailure(check.kind, check.target, f"{type(exc).__name__}: {exc}")

    def _parse(self, check: HostCheck) -> _Options:
        key = _options_key(check.kind, check.options)
        options = self._models.get(key) if key is not None else None
        if options is None:
            options = _parse_model(check.kind, check.options)
            if key is not None:
                if len(self._models) >= MAX_CACHED:
                    self._models.clear()
                self._models[key] = options
        if check.kind == "http":
            _check_target(check.kind, check.target, options)
        # Other targets are split, and so checked, when the probe call is bound.
        return options

    def _prepare(self, check: HostCheck) -> _Prepared:
        options = self._parse(check)
        timeout_s = options.timeout_s or DEFAULT_TIMEOUT_S[check.kind]
        prepared = _Prepared(
            check, self._bind(check, options, timeout_s), timeout_s, _times_every_wait(options)
        )
        if len(self._prepared) >= MAX_CACHED:
            self._prepared.clear()
        self._prepared[check.id] = prepared
        return prepared

    def _bind(
        self, check: HostCheck, options: _Options, timeout_s: float
    ) -> Callable[[], Awaitable[ProbeResult]]:
        if isinstance(options, HttpOptions):
            return functools.partial(
                probe_http,
                check.target,
                timeout_s=timeout_s,
                expect_status=options.expect_status,
                expect_text=options.expect_text,
                follow_redirects=options.follow_redirects,
                cert_warning_days=options.cert_warning_days,
                cert_critical_days=options.cert_critical_days,
                ca_file=options.ca_file,
                session=self._http_session(),
            )
        host, port = split_target(
            check.target, getattr(options, "port", None), DEFAULT_PORT.get(check.kind)
        )
        if isinstance(options, SshOptions):
            login = None
            if options.user and options.key:
                login = SshLogin(options.user, options.key, options.host_key)
            return functools.partial(probe_ssh, host, port, timeout_s=timeout_s, login=login)
        if isinstance(options, SipOptions):
            return functools.partial(
                probe_sip,
                host,
                port,
                transport=options.transport,
                timeout_s=timeout_s,
                uri_user=options.uri_user,
            )
        return functools.partial(probe_tcp, host, port, timeout_s=timeout_s)

    def _http_session(self) -> HttpSession:
        if self._session is None or self._session.closed:
            self._session = http_session(limit=self._http_limit)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._prepared.clear()
