"""An AMI test peer that writes what Asterisk's manager.c writes, byte for byte where it matters.

Asterisk is not packaged for this OS, so tests talk to this instead. It reproduces the wire
details a client gets wrong: the one-line banner, CRLF framing, ActionID placement, the
``Challenge``/MD5 ``Login`` exchange, ``Authentication failed`` followed by a closed socket,
``FullyBooted`` arriving unasked after login, list answers (``EventList: start`` … items …
``…Complete`` with ``ListItems``), ``Response: Error`` with Asterisk's stray ``\\n`` for
"No endpoints found\\n", both forms of ``Command`` output, and ``Goodbye`` on ``Logoff``.

It runs in a thread on 127.0.0.1, port 0, because the agent's client is synchronous.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

_UNKNOWN = "Invalid/unknown command: {}. Use Action: ListCommands to show available commands."
_CHALLENGE = "584631790"


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


Message = list[tuple[str, str]]


class _Session:
    """One client connection, run to completion in its handler thread."""

    def __init__(self, sock: socket.socket, server: AmiTestServer) -> None:
        self.sock = sock
        self.server = server
        self.scenario = server.scenario
        self.authenticated = False
        self.buffer = b""

    def run(self) -> None:
        self.write(f"Asterisk Call Manager/{self.scenario.ami_version}\r\n")
        while (message := self.read_message()) is not None:
            self.server.received.append(message)
            if not self.dispatch(message):
                return

    def read_message(self) -> Message | None:
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        pairs = [line.partition(":") for line in raw.decode().split("\r\n") if line]
        return [(k.strip(), v.strip()) for k, _, v in pairs]

    def write(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def send(self, *blocks: str) -> None:
        self.write("".join(blocks))

    def dispatch(self, message: Message) -> bool:
        """Answer one action; False closes the connection (as manager.c does)."""
        headers = {k.lower(): v for k, v in message}
        action = headers.get("action", "")
        aid = f"ActionID: {headers['actionid']}\r\n" if "actionid" in headers else ""
        if action.lower() == "logoff":
            self.send("Response: Goodbye\r\n", aid, "Message: Thanks for all the fish.\r\n\r\n")
            return False
        if action.lower() == "challenge":
            return self.challenge(headers, aid)
        if action.lower() == "login":
            return self.login(headers, aid)
        if not self.authenticated or action in self.scenario.denied:
            self.error(aid, "Permission denied")
            return True
        handler = _HANDLERS.get(action.lower())
        if handler is None:
            self.error(aid, _UNKNOWN.format(action))
            return True
        if self.scenario.chatter:
            self.send(_newchannel_event())
        handler(self, headers, aid)
        return True

    def error(self, aid: str, message: str) -> None:
        self.send("Response: Error\r\n", aid, f"Message: {message}\r\n\r\n")

    def challenge(self, headers: dict[str, str], aid: str) -> bool:
        if not self.scenario.md5_challenge or headers.get("authtype", "").lower() != "md5":
            self.error(aid, "Must specify AuthType")
        else:
            self.send("Response: Success\r\n", aid, f"Challenge: {_CHALLENGE}\r\n\r\n")
        return True

    def login(self, headers: dict[str, str], aid: str) -> bool:
        s = self.scenario
        if headers.get("authtype", "").lower() == "md5":
            expected = hashlib.md5((_CHALLENGE + s.secret).encode()).hexdigest()
            ok = s.md5_challenge and headers.get("key") == expected
        else:
            ok = headers.get("secret") == s.secret
        if headers.get("username") != s.username or not ok:
            self.error(aid, "Authentication failed")
            return False  # manager.c returns -1: the session is torn down
        self.authenticated = True
        self.send("Response: Success\r\n", aid, "Message: Authentication accepted\r\n\r\n")
        self.send(
            "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 86400\r\n"
            "LastReload: 3600\r\nStatus: Fully Booted\r\n\r\n"
        )
        return True

    def send_list(self, aid: str, intro: str, events: list[str], complete: str) -> None:
        """``astman_send_listack`` … events … ``astman_send_list_complete_start/end``."""
        self.send("Response: Success\r\n", aid, f"EventList: start\r\nMessage: {intro}\r\n\r\n")
        for event in events:
            self.send(event)
        self.send(
            f"Event: {complete}\r\n",
            aid,
            f"EventList: Complete\r\nListItems: {len(events)}\r\n\r\n",
        )


def _newchannel_event() -> str:
    return (
        "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/201-0000002a\r\n"
        "ChannelState: 4\r\nChannelStateDesc: Ring\r\nUniqueid: 1714550000.42\r\n\r\n"
    )


def _event(name: str, aid: str, pairs: Sequence[tuple[str, object]]) -> str:
    body = "".join(f"{key}: {value}\r\n" for key, value in pairs)
    return f"Event: {name}\r\n{aid}{body}\r\n"


def _ping(session: _Session, headers: dict[str, str], aid: str) -> None:
    session.send("Response: Success\r\n", aid, "Ping: Pong\r\nTimestamp: 1714550000.123456\r\n\r\n")


def _core_status(session: _Session, headers: dict[str, str], aid: str) -> None:
    s = session.scenario
    session.send(
        "Response: Success\r\n",
        aid,
        f"CoreStartupDate: {s.startup:%Y-%m-%d}\r\nCoreStartupTime: {s.startup:%H:%M:%S}\r\n"
        f"CoreReloadDate: {s.reload:%Y-%m-%d}\r\nCoreReloadTime: {s.reload:%H:%M:%S}\r\n"
        f"CoreCurrentCalls: {s.current_calls}\r\n\r\n",
    )


def _core_settings(session: _Session, headers: dict[str, str], aid: str) -> None:
    s = session.scenario
    session.send(
        "Response: Success\r\n",
        aid,
        f"AMIversion: {s.ami_version}\r\nAsteriskVersion: {s.asterisk_version}\r\n"
        f"SystemName: pbx1\r\nCoreMaxCalls: {s.max_calls}\r\nCoreMaxLoadAvg: 0.000000\r\n"
        "CoreRunUser: asterisk\r\nCoreRunGroup: asterisk\r\nCoreMaxFilehandles: 0\r\n"
        "CoreRealTimeEnabled: No\r\nCoreCDRenabled: Yes\r\nCoreHTTPenabled: No\r\n\r\n",
    )


def _endpoints(session: _Session, headers: dict[str, str], aid: str) -> None:
    eps = session.scenario.endpoints
    if not eps:
        # pjsip_configuration.c: astman_send_error(s, m, "No endpoints found\n") - stray LF kept
        session.error(aid, "No endpoints found\n")
        return
    events = [
        _event(
            "EndpointList",
            aid,
            [
                ("ObjectType", "endpoint"),
                ("ObjectName", ep.name),
                ("Transport", ep.transport),
                ("Aor", ep.name),
                ("Auths", ep.name),
                ("OutboundAuths", ""),
                ("Contacts", f"{ep.name}/sip:{ep.name}@192.0.2.20:5060,"),
                ("DeviceState", ep.device_state),
                ("ActiveChannels", "".join(f"1714550000.{n}," for n in range(ep.active_channels))),
            ],
        )
        for ep in eps
    ]
    intro = "A listing of Endpoints follows, presented as EndpointList events"
    session.send_list(aid, intro, events, "EndpointListComplete")


def _registrations(session: _Session, headers: dict[str, str], aid: str) -> None:
    regs = session.scenario.registrations
    events: list[str] = []
    for reg in regs:
        events.append(
            _event(
                "OutboundRegistrationDetail",
                aid,
                [
                    ("ObjectType", "registration"),
                    ("ObjectName", reg.name),
                    ("ServerUri", reg.server_uri),
                    ("ClientUri", reg.client_uri),
                    ("Endpoint", reg.endpoint),
                    ("OutboundAuth", f"{reg.name}-auth"),
                    ("Status", reg.status),
                    ("NextReg", 3540),
                ],
            )
        )
        auth = [
            ("ObjectType", "auth"),
            ("ObjectName", f"{reg.name}-auth"),
            ("AuthType", "userpass"),
        ]
        events.append(_event("AuthDetail", aid, auth))
    registered = sum(1 for reg in regs if reg.status == "Registered")
    session.send(
        "Response: Success\r\n",
        aid,
        "EventList: start\r\nMessage: Following are Events for each Outbound registration\r\n\r\n",
    )
    for event in events:
        session.send(event)
    session.send(
        "Event: OutboundRegistrationDetailComplete\r\n",
        aid,
        f"EventList: Complete\r\nListItems: {len(regs)}\r\nRegistered: {registered}\r\n"
        f"NotRegistered: {len(regs) - registered}\r\n\r\n",
    )


def _contacts(session: _Session, headers: dict[str, str], aid: str) -> None:
    contacts = session.scenario.contacts
    if not contacts:
        session.error(aid, "No Contacts found\n")
        return
    events = [
        _event(
            "ContactList",
            aid,
            [
                ("ObjectType", "contact"),
                ("ObjectName", f"{c.aor};@{hashlib.md5(c.uri.encode()).hexdigest()[:10]}"),
                ("ViaAddr", "192.0.2.20"),
                ("Endpoint", c.endpoint or c.aor),
                ("Uri", c.uri),
                ("UserAgent", "Yealink SIP-T46S"),
                ("QualifyFrequency", 60),
                ("Status", c.status),
                ("RoundtripUsec", "N/A" if c.rtt_usec is None else c.rtt_usec),
            ],
        )
        for c in contacts
    ]
    intro = "A listing of Contacts follows, presented as ContactList events"
    session.send_list(aid, intro, events, "ContactListComplete")


def _channels(session: _Session, headers: dict[str, str], aid: str) -> None:
    events = []
    for ch in session.scenario.channels:
        hours, rest = divmod(ch.duration_s, 3600)
        duration = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        pairs: list[tuple[str, object]] = [
            ("Channel", ch.name),
            ("ChannelState", 6),
            ("ChannelStateDesc", ch.state),
            ("CallerIDNum", "201"),
            ("Context", "from-internal"),
            ("Exten", "0800123456"),
            ("Application", "Dial"),
            ("Duration", duration),
        ]
        events.append(_event("CoreShowChannel", aid, pairs))
    session.send_list(aid, "Channels will follow", events, "CoreShowChannelsComplete")


def _queue_summary(session: _Session, headers: dict[str, str], aid: str) -> None:
    queues = session.scenario.queues
    if queues is None:
        session.error(aid, _UNKNOWN.format("QueueSummary"))
        return
    events = [
        _event(
            "QueueSummary",
            aid,
            [
                ("Queue", q.name),
                ("LoggedIn", q.logged_in),
                ("Available", q.available),
                ("Callers", q.callers),
                ("HoldTime", q.hold_time),
                ("TalkTime", q.talk_time),
                ("LongestHoldTime", q.longest_hold_time),
            ],
        )
        for q in queues
    ]
    session.send_list(aid, "Queue summary will follow", events, "QueueSummaryComplete")


def _sip_peers(session: _Session, headers: dict[str, str], aid: str) -> None:
    peers = session.scenario.sip_peers
    if peers is None:
        session.error(aid, _UNKNOWN.format("SIPpeers"))
        return
    events = [
        _event(
            "PeerEntry",
            aid,
            [
                ("Channeltype", "SIP"),
                ("ObjectName", p.name),
                ("ChanObjectType", "peer"),
                ("IPaddress", p.ip),
                ("IPport", 5060),
                ("Dynamic", "no"),
                ("Status", p.status),
            ],
        )
        for p in peers
    ]
    session.send_list(aid, "Peer status list will follow", events, "PeerlistComplete")


def _sip_registry(session: _Session, headers: dict[str, str], aid: str) -> None:
    if session.scenario.sip_peers is None:
        session.error(aid, _UNKNOWN.format("SIPshowregistry"))
        return
    events = [
        _event(
            "RegistryEntry",
            aid,
            [
                ("Host", r.host),
                ("Port", 5060),
                ("Username", r.username),
                ("Domain", r.host),
                ("DomainPort", 5060),
                ("Refresh", 105),
                ("State", r.state),
                ("RegistrationTime", 1714550000),
            ],
        )
        for r in session.scenario.sip_registry
    ]
    session.send_list(aid, "Registrations will follow", events, "RegistrationsComplete")


def _command(session: _Session, headers: dict[str, str], aid: str) -> None:
    command = headers.get("command", "")
    text = session.scenario.commands.get(command)
    if session.scenario.legacy_command:
        # Asterisk <= 13: raw CLI text (LF line ends) straight after the headers.
        body = text if text is not None else f"No such command '{command}'\n"
        session.send("Response: Follows\r\nPrivilege: Command\r\n", aid, body)
        session.send("--END COMMAND--\r\n\r\n")
        return
    if text is None:
        status, text = "Error", f"No such command '{command}' (type 'core show help {command}')"
    else:
        status = "Success"
    lines = "".join(f"Output: {line}\r\n" for line in text.rstrip("\n").split("\n"))
    session.send(
        f"Response: {status}\r\n", aid, "Message: Command output follows\r\n", lines, "\r\n"
    )


_HANDLERS: dict[str, Callable[[_Session, dict[str, str], str], None]] = {
    "ping": _ping,
    "corestatus": _core_status,
    "coresettings": _core_settings,
    "pjsipshowendpoints": _endpoints,
    "pjsipshowregistrationsoutbound": _registrations,
    "pjsipshowcontacts": _contacts,
    "coreshowchannels": _channels,
    "queuesummary": _queue_summary,
    "sippeers": _sip_peers,
    "sipshowregistry": _sip_registry,
    "command": _command,
}


class _Handler(socketserver.BaseRequestHandler):
    server: AmiTestServer

    def handle(self) -> None:
        self.request.settimeout(10)
        # Replies go out in several writes; without this, Nagle + delayed ACK add 40 ms each.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with contextlib.suppress(OSError):  # the client went away; a real PBX shrugs too
            _Session(self.request, self.server).run()


class AmiTestServer(socketserver.ThreadingTCPServer):
    """The fake PBX; ``port`` to connect to, ``received`` holds every action it was sent."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, scenario: AmiScenario) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.scenario = scenario
        self.received: list[Message] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def actions(self) -> list[str]:
        """The ``Action:`` of every message received, in order."""
        return [dict(m).get("Action", "") for m in self.received]


@contextmanager
def running_ami_server(scenario: AmiScenario | None = None) -> Iterator[AmiTestServer]:
    """Serve ``scenario`` on 127.0.0.1 for the duration of the block."""
    server = AmiTestServer(scenario or AmiScenario())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A loopback port with nothing listening: a PBX whose Asterisk is not running."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
