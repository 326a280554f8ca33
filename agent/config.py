"""The agent's configuration: one YAML file read and validated in one place.

Immutable named tuples and hand-written checks instead of a validation library (or even
``dataclasses``, which brings ``inspect`` and ``ast`` along), because the agent must stay small
on customer hosts. Every error names the file, the line when PyYAML knows it,
and the dotted field, so the engineer installing the agent can fix it without guessing.
"""

from __future__ import annotations

import math
import socket
from pathlib import Path
from typing import Any, NamedTuple, NoReturn
from urllib.parse import urlsplit

DEFAULT_CONFIG_PATH = Path("/etc/faultdesk/agent.yaml")
LOG_LEVELS = ("debug", "info", "warning", "error")

FieldPath = tuple[str | int, ...]


class ConfigError(Exception):
    """The config file cannot be used; the message says where and why."""


class SystemSettings(NamedTuple):
    """The ``system`` probe: on by default; mount points can be left out (backup disks...)."""

    exclude_mountpoints: tuple[str, ...] = ()


class PortCheck(NamedTuple):
    """A local port that must have a listener."""

    port: int
    protocol: str = "tcp"  # "tcp" | "udp"

    def __str__(self) -> str:
        return f"{self.port}/{self.protocol}"


class ServicesSettings(NamedTuple):
    """The ``services`` probe: named processes, systemd units and listening ports."""

    processes: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    ports: tuple[PortCheck, ...] = ()


class AgentConfig(NamedTuple):
    """A validated agent configuration. Probes left out of the file are ``None`` (off)."""

    path: Path
    collector_url: str
    host_id: str
    key_file: Path
    interval_s: float = 60.0
    spool_dir: Path = Path("/var/lib/faultdesk-agent/spool")
    spool_max_bytes: int = 64 * 1024 * 1024
    spool_max_age_s: float = 7 * 24 * 3600.0
    ca_bundle: Path | None = None
    timeout_s: float = 10.0
    process_scan_every: int = 5
    log_level: str = "info"
    system: SystemSettings | None = SystemSettings()
    services: ServicesSettings | None = None
    asterisk: Any = None  # agent.probes.asterisk.AsteriskSettings, imported only when configured
    sip: Any = None  # agent.probes.sip.SipSettings, imported only when configured


def load_config(path: Path | str) -> AgentConfig:
    """Read and validate ``path``; raise :class:`ConfigError` naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {_os_reason(exc)}") from exc
    data, lines = _parse_yaml(path, text)
    return _Reader(path, lines).agent_config(data)


def is_loopback_host(host: str) -> bool:
    """``localhost``, or an address in 127.0.0.0/8 or ``::1`` (a name like 127.x.example is not)."""
    if host == "localhost":
        return True
    for family, loopback in ((socket.AF_INET, None), (socket.AF_INET6, _IPV6_LOOPBACK)):
        try:
            packed = socket.inet_pton(family, host)
        except OSError:
            continue
        return packed == loopback if loopback else packed[0] == 127
    return False


_IPV6_LOOPBACK = bytes(15) + b"\x01"


def _os_reason(exc: BaseException) -> str:
    return exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)


def _parse_yaml(path: Path, text: str) -> tuple[Any, dict[FieldPath, int]]:
    """Load the document and remember the line of every key, for error messages."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: not valid YAML: {problem}") from exc
    finally:
        loader.dispose()
    lines: dict[FieldPath, int] = {}
    stack: list[tuple[Any, FieldPath]] = [(node, ())] if node is not None else []
    while stack:
        current, prefix = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key = (*prefix, str(key_node.value))
                if key in lines:  # PyYAML would silently keep the last one
                    name = ".".join(str(part) for part in key)
                    line = key_node.start_mark.line + 1
                    raise ConfigError(f"{path}:{line}: {name}: duplicate key")
                lines[key] = key_node.start_mark.line + 1
                stack.append((value_node, key))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                lines[(*prefix, index)] = item.start_mark.line + 1
                stack.append((item, (*prefix, index)))
    return data, lines


class _Reader:
    """Typed getters that fail with the file, line and field of the offending value."""

    def __init__(self, path: Path, lines: dict[FieldPath, int]) -> None:
        self.path = path
        self.lines = lines

    def fail(self, where: FieldPath, problem: str) -> NoReturn:
        known = [where[:n] for n in range(len(where), 0, -1) if where[:n] in self.lines]
        line = self.lines[known[0]] if known else None
        location = f"{self.path}:{line}" if line is not None else str(self.path)
        name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
        raise ConfigError(f"{location}: {name or '(top level)'}: {problem}")

    def mapping(self, where: FieldPath, value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(where, "must be a mapping of keys to values")
        for key in value:
            if key not in allowed:
                self.fail(
                    (*where, str(key)), f"unknown key (expected one of: {', '.join(allowed)})"
                )
        return value

    def text(self, where: FieldPath, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, "must be a non-empty string")
        return value

    def number(self, where: FieldPath, value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and value > 0)
        ):
            self.fail(where, "must be a number > 0")
        return float(value)

    def integer(self, where: FieldPath, value: Any, low: int = 1, high: int | None = None) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < low
            or (high is not None and value > high)
        ):
            bounds = f"between {low} and {high}" if high is not None else f">= {low}"
            self.fail(where, f"must be a whole number {bounds}")
        return value

    def flag(self, where: FieldPath, value: Any) -> bool:
        if not isinstance(value, bool):
            self.fail(where, "must be true or false")
        return value

    def texts(self, where: FieldPath, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(where, "must be a list")
        return tuple(self.text((*where, i), item) for i, item in enumerate(value))

    def choice(self, where: FieldPath, value: Any, choices: tuple[str, ...]) -> str:
        if value not in choices:
            self.fail(where, f"must be one of: {', '.join(choices)}")
        return str(value)

    def agent_config(self, data: Any) -> AgentConfig:
        top = self.mapping((), data, _TOP_KEYS)
        for required in ("collector_url", "host_id", "key_file"):
            if top.get(required) is None:
                self.fail((required,), "is required")
        url = self.collector_url(top["collector_url"])
        values: dict[str, Any] = {
            "path": self.path,
            "collector_url": url,
            "host_id": self.host_id(top["host_id"]),
            "key_file": Path(self.text(("key_file",), top["key_file"])),
        }
        for key in ("interval_s", "spool_max_age_s", "timeout_s"):
            if key in top:
                values[key] = self.number((key,), top[key])
        for key in ("spool_max_bytes", "process_scan_every"):
            if key in top:
                values[key] = self.integer((key,), top[key])
        if "spool_dir" in top:
            values["spool_dir"] = Path(self.text(("spool_dir",), top["spool_dir"]))
        if "ca_bundle" in top:
            values["ca_bundle"] = Path(self.text(("ca_bundle",), top["ca_bundle"]))
            if not values["ca_bundle"].is_file():
                self.fail(("ca_bundle",), f"no such file: {values['ca_bundle']}")
        if "log_level" in top:
            values["log_level"] = self.choice(("log_level",), top["log_level"], LOG_LEVELS)
        values.update(self.probes(top.get("probes")))
        return AgentConfig(**values)

    def collector_url(self, value: Any) -> str:
        url = self.text(("collector_url",), value).rstrip("/")
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            parts.port  # noqa: B018 -- raises ValueError on a bad port
        except ValueError:
            self.fail(("collector_url",), "is not a valid URL")
        if parts.scheme == "https" and host:
            return url
        if parts.scheme == "http" and is_loopback_host(host):
            return url
        self.fail(
            ("collector_url",), "must be an https:// URL (http:// only to a loopback address)"
        )

    def host_id(self, value: Any) -> str:
        host_id = self.text(("host_id",), value)
        if len(host_id) > 64 or not host_id.isprintable() or any(c.isspace() for c in host_id):
            self.fail(("host_id",), "must be at most 64 printable characters without spaces")
        return host_id

    def probes(self, value: Any) -> dict[str, Any]:
        where: FieldPath = ("probes",)
        section = self.mapping(where, value, ("system", "services", "asterisk", "sip"))
        return {
            "system": self.system(section.get("system", {})),
            "services": self.services(section["services"]) if "services" in section else None,
            "asterisk": self.asterisk(section["asterisk"]) if "asterisk" in section else None,
            "sip": self.sip(section["sip"]) if "sip" in section else None,
        }

    def system(self, value: Any) -> SystemSettings | None:
        where: FieldPath = ("probes", "system")
        section = self.mapping(where, value, ("enabled", "exclude_mountpoints"))
        if not self.flag((*where, "enabled"), section.get("enabled", True)):
            return None
        excluded = self.texts((*where, "exclude_mountpoints"), section.get("exclude_mountpoints"))
        return SystemSettings(exclude_mountpoints=excluded)

    def services(self, value: Any) -> ServicesSettings:
        where: FieldPath = ("probes", "services")
        section = self.mapping(where, value, ("processes", "units", "ports"))
        ports = section.get("ports") or []
        if not isinstance(ports, list):
            self.fail((*where, "ports"), "must be a list")
        return ServicesSettings(
            processes=self.texts((*where, "processes"), section.get("processes")),
            units=self.texts((*where, "units"), section.get("units")),
            ports=tuple(self.port((*where, "ports", i), p) for i, p in enumerate(ports)),
        )

    def port(self, where: FieldPath, value: Any) -> PortCheck:
        """``5060`` (TCP) or ``"5060/udp"``."""
        number, _, protocol = str(value).partition("/")
        if isinstance(value, bool) or not number.isdigit() or protocol not in ("", "tcp", "udp"):
            self.fail(where, 'must be a port number, optionally with "/tcp" or "/udp"')
        return PortCheck(self.integer(where, int(number), 1, 65535), protocol or "tcp")

    def asterisk(self, value: Any) -> Any:
        where: FieldPath = ("probes", "asterisk")
        section = self.mapping(where, value, _ASTERISK_KEYS)
        for required in ("username", "secret_file"):
            if section.get(required) is None:
                self.fail((*where, required), "is required")
        kwargs: dict[str, Any] = {
            "username": self.text((*where, "username"), section["username"]),
            "secret_file": self.text((*where, "secret_file"), section["secret_file"]),
        }
        kwargs.update(self.endpoint(where, section))
        if "trunks" in section:
            kwargs["trunks"] = self.texts((*where, "trunks"), section["trunks"])
        if "chan_sip" in section:
            kwargs["chan_sip"] = self.flag((*where, "chan_sip"), section["chan_sip"])
        if "pbx_timezone" in section:
            zone = section["pbx_timezone"]
            if not isinstance(zone, str):
                self.fail((*where, "pbx_timezone"), 'must be a time zone name or ""')
            kwargs["pbx_timezone"] = zone
        from agent.probes.asterisk import AsteriskSettings

        return self.construct(where, AsteriskSettings, kwargs)

    def sip(self, value: Any) -> Any:
        where: FieldPath = ("probes", "sip")
        keys = ("host", "port", "transport", "timeout_s", "uri_user")
        section = self.mapping(where, value, keys)
        kwargs = self.endpoint(where, section)
        if "transport" in section:
            transport = section["transport"]
            kwargs["transport"] = self.choice((*where, "transport"), transport, ("udp", "tcp"))
        if "uri_user" in section:
            kwargs["uri_user"] = self.text((*where, "uri_user"), section["uri_user"])
        from agent.probes.sip import SipSettings

        return self.construct(where, SipSettings, kwargs)

    def construct(self, where: FieldPath, settings_type: Any, kwargs: dict[str, Any]) -> Any:
        """Build a probe's own settings; its checks' ValueErrors become config errors."""
        try:
            return settings_type(**kwargs)
        except ValueError as exc:
            field_name, colon, problem = str(exc).partition(": ")
            if colon and field_name.rpartition(".")[2] in kwargs:
                self.fail((*where, field_name.rpartition(".")[2]), problem)
            self.fail(where, str(exc))

    def endpoint(self, where: FieldPath, section: dict[str, Any]) -> dict[str, Any]:
        """The ``host``, ``port`` and ``timeout_s`` keys shared by the PBX probes."""
        kwargs: dict[str, Any] = {}
        if "host" in section:
            kwargs["host"] = self.text((*where, "host"), section["host"])
        if "port" in section:
            kwargs["port"] = self.integer((*where, "port"), section["port"], 1, 65535)
        if "timeout_s" in section:
            kwargs["timeout_s"] = self.number((*where, "timeout_s"), section["timeout_s"])
        return kwargs


_ASTERISK_KEYS = (
    "host",
    "port",
    "username",
    "secret_file",
    "timeout_s",
    "trunks",
    "chan_sip",
    "pbx_timezone",
)
_TOP_KEYS = (
    "collector_url",
    "host_id",
    "key_file",
    "interval_s",
    "spool_dir",
    "spool_max_bytes",
    "spool_max_age_s",
    "ca_bundle",
    "timeout_s",
    "process_scan_every",
    "log_level",
    "probes",
)
