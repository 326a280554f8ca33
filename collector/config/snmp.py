"""The ``snmp:`` section: where traps are received, how often hosts are polled, and the trap
and poll mappings of models other than the built-in Mitel 3300 (``profiles``)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from functools import cached_property
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from collector.domain.snmp_profiles import BUILT_IN, AlarmPoll, AlarmTrap, EventTrap, Profile
from collector.store.snmp import SnmpAgent

Oid = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)+$", max_length=200)]
Level = Literal["ok", "minor", "major", "critical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlarmTrapSettings(_Strict):
    #: The notification OID (for SNMPv1 traps: ``enterprise.0.specific``).
    notification: Oid
    #: The varbind carrying the level, and what its values mean.
    level: Oid
    values: dict[int, Level]
    #: The varbind that names the problem, shown as the fault's detail.
    detail: Oid | None = None


class EventTrapSettings(_Strict):
    notification: Oid
    text: str = Field(min_length=1, max_length=200)
    #: A restart: also raises the "PBX restarted" fault for ``restart_fault_s``.
    restart: bool = False
    detail: Oid | None = None


class AlarmPollSettings(_Strict):
    level: Oid  # a scalar instance, ending in .0
    values: dict[int, Level]
    count: Oid | None = None
    table_name: Oid | None = None
    table_level: Oid | None = None


class ProfileSettings(_Strict):
    label: str = Field("alarm level", min_length=1, max_length=100)
    alarms: list[AlarmTrapSettings] = []
    events: list[EventTrapSettings] = []
    poll: AlarmPollSettings | None = None

    def profile(self, name: str, restart_fault_s: float) -> Profile:
        return Profile(
            name=name,
            label=self.label,
            alarms=tuple(AlarmTrap(**a.model_dump()) for a in self.alarms),
            events=tuple(EventTrap(**e.model_dump()) for e in self.events),
            poll=AlarmPoll(**self.poll.model_dump()) if self.poll else None,
            restart_fault_s=restart_fault_s,
        )


class SnmpSettings(_Strict):
    #: ``HOST:PORT`` to receive traps on (``0.0.0.0:162`` in production; the systemd unit
    #: grants CAP_NET_BIND_SERVICE). None: no trap receiver.
    listen: str | None = None
    #: How often each SNMP host is polled; a trap also brings its next poll forward.
    poll_interval_s: float = Field(120.0, gt=0)
    poll_timeout_s: float = Field(2.0, gt=0, le=60)
    poll_retries: int = Field(1, ge=0, le=5)
    #: How long the "PBX restarted" fault stays after a shutdown or restart trap.
    restart_fault_s: float = Field(900.0, gt=0)
    #: Trap and poll mappings for other models, by name; a host names one as its profile.
    profiles: dict[str, ProfileSettings] = {}

    @field_validator("listen")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        if value is not None:
            host, _, port = value.rpartition(":")
            if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
                raise ValueError("expected HOST:PORT, like 127.0.0.1:1162 or 0.0.0.0:162")
        return value

    @property
    def listen_address(self) -> tuple[str, int] | None:
        if self.listen is None:
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)

    @cached_property
    def profile_book(self) -> dict[str, Profile]:
        """Every profile a host may name: the built-in ones, then the configured ones."""
        book = {
            name: replace(p, restart_fault_s=self.restart_fault_s) for name, p in BUILT_IN.items()
        }
        for name, settings in self.profiles.items():
            book[name] = settings.profile(name, self.restart_fault_s)
        return book


def _ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("must be an IP address (traps are matched to hosts by it)") from None


#: A host's address: traps are matched to the host by their source, so an IP, not a name.
IpAddress = Annotated[str, AfterValidator(_ip_address)]
_SECRET = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class HostSnmpEntry(_Strict):
    """A host's SNMP settings, as the inventory file, the API and ``host add`` take them."""

    version: Literal["1", "2c", "3"] = "2c"
    community: _SECRET = ""
    user: _SECRET = ""
    auth_protocol: Literal["", "MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"] = ""
    auth_key: _SECRET = ""
    priv_protocol: Literal["", "DES", "AES", "AES-192", "AES-256"] = ""
    priv_key: _SECRET = ""
    #: The host's SNMP engine id in hex (SNMPv3 traps are authenticated under it).
    engine_id: (
        Annotated[str, StringConstraints(pattern=r"^(0x)?([0-9a-fA-F]{2}){5,32}$")] | None
    ) = None
    profile: str = Field("mitel-3300", min_length=1, max_length=64)
    port: int = Field(161, ge=1, le=65535)

    @model_validator(mode="after")
    def _credentials(self) -> HostSnmpEntry:
        if self.version == "3":
            if not self.user or self.engine_id is None:
                raise ValueError("SNMPv3 needs user and engine_id")
            if self.priv_protocol and not self.auth_protocol:
                raise ValueError("privacy (priv_protocol) needs authentication (auth_protocol)")
            keys = ((self.auth_protocol, self.auth_key, "auth_key"),
                    (self.priv_protocol, self.priv_key, "priv_key"))  # fmt: skip
            for protocol, key, name in keys:
                if protocol and len(key) < 8:
                    raise ValueError(f"{name} must be at least 8 characters")
        elif not self.community:
            raise ValueError(f"SNMPv{self.version} needs a community")
        return self

    def agent(self, host_id: str, address: str) -> SnmpAgent:
        return SnmpAgent(
            host_id=host_id,
            address=address,
            profile=self.profile,
            version=self.version,
            community=self.community,
            user=self.user,
            auth_protocol=self.auth_protocol,
            auth_key=self.auth_key,
            priv_protocol=self.priv_protocol,
            priv_key=self.priv_key,
            engine_id=(self.engine_id or "").removeprefix("0x"),
            port=self.port,
        )
