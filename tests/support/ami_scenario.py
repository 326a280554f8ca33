"""What the fake PBX looks like: its version, login, endpoints, trunks, calls, queues and CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Endpoint:
    name: str
    device_state: str = "Not in use"
    active_channels: int = 0  # sent as Asterisk does: a comma list of channel ids
    transport: str = "transport-udp"


@dataclass
class Registration:
    name: str
    status: str = "Registered"
    server_uri: str = "sip:sip.provider.example"
    client_uri: str = "sip:441234567890@sip.provider.example"
    endpoint: str = ""


@dataclass
class Contact:
    aor: str
    uri: str
    status: str = "Reachable"
    rtt_usec: int | None = 1200
    endpoint: str = ""


@dataclass
class Channel:
    name: str
    duration_s: int
    state: str = "Up"


@dataclass
class Queue:
    name: str
    logged_in: int = 2
    available: int = 1
    callers: int = 0
    hold_time: int = 12
    talk_time: int = 95
    longest_hold_time: int = 0


@dataclass
class SipPeer:
    name: str
    status: str = "OK (12 ms)"
    ip: str = "192.0.2.10"


@dataclass
class SipRegistry:
    host: str
    username: str
    state: str = "Registered"


@dataclass
class AmiScenario:
    """What the fake PBX looks like; tests change fields between connections."""

    username: str = "faultdesk"
    secret: str = "s3cret-Secret"
    ami_version: str = "5.0.4"
    asterisk_version: str = "18.20.0"
    md5_challenge: bool = True
    legacy_command: bool = False
    startup: datetime = datetime(2024, 5, 1, 6, 30, 0)
    reload: datetime = datetime(2024, 5, 2, 9, 15, 0)
    current_calls: int = 0
    max_calls: int = 0
    endpoints: list[Endpoint] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    queues: list[Queue] | None = None  # None: app_queue not loaded
    sip_peers: list[SipPeer] | None = None  # None: chan_sip not loaded
    sip_registry: list[SipRegistry] = field(default_factory=list)
    commands: dict[str, str] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    chatter: bool = True  # interleave unsolicited call events, as a busy PBX does
