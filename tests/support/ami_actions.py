"""The actions the fake PBX answers, each built from its scenario as Asterisk's modules do."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from tests.support.ami_framing import AmiConnection, event_block
from tests.support.ami_scenario import AmiScenario

Action = Callable[[AmiConnection, AmiScenario, dict[str, str], str], None]


def unknown_action(action: str) -> str:
    """manager.c's answer to an action no loaded module registered."""
    return (
        f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands."
    )


def newchannel_event() -> str:
    """The unasked call event a busy PBX slips in ahead of an answer."""
    return (
        "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/201-0000002a\r\n"
        "ChannelState: 4\r\nChannelStateDesc: Ring\r\nUniqueid: 1714550000.42\r\n\r\n"
    )


def _ping(conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str) -> None:
    conn.send("Response: Success\r\n", aid, "Ping: Pong\r\nTimestamp: 1714550000.123456\r\n\r\n")


def _core_status(
    conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str
) -> None:
    conn.send(
        "Response: Success\r\n",
        aid,
        f"CoreStartupDate: {scenario.startup:%Y-%m-%d}\r\n"
        f"CoreStartupTime: {scenario.startup:%H:%M:%S}\r\n"
        f"CoreReloadDate: {scenario.reload:%Y-%m-%d}\r\n"
        f"CoreReloadTime: {scenario.reload:%H:%M:%S}\r\n"
        f"CoreCurrentCalls: {scenario.current_calls}\r\n\r\n",
    )


def _core_settings(
    conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str
) -> None:
    conn.send(
        "Response: Success\r\n",
        aid,
        f"AMIversion: {scenario.ami_version}\r\nAsteriskVersion: {scenario.asterisk_version}\r\n"
        f"SystemName: pbx1\r\nCoreMaxCalls: {scenario.max_calls}\r\nCoreMaxLoadAvg: 0.000000\r\n"
        "CoreRunUser: asterisk\r\nCoreRunGroup: asterisk\r\nCoreMaxFilehandles: 0\r\n"
        "CoreRealTimeEnabled: No\r\nCoreCDRenabled: Yes\r\nCoreHTTPenabled: No\r\n\r\n",
    )


def _endpoints(
    conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str
) -> None:
    eps = scenario.endpoints
    if not eps:
        # pjsip_configuration.c: astman_send_error(s, m, "No endpoints found\n") - stray LF kept
        conn.error(aid, "No endpoints found\n")
        return
    events = [
        event_block(
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
    conn.send_list(aid, intro, events, "EndpointListComplete")


def _registrations(
    conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str
) -> None:
    regs = scenario.registrations
    events: list[str] = []
    for reg in regs:
        events.append(
            event_block(
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
        events.append(event_block("AuthDetail", aid, auth))
    registered = sum(1 for reg in regs if reg.status == "Registered")
    conn.send(
        "Response: Success\r\n",
        aid,
        "EventList: start\r\nMessage: Following are Events for each Outbound registration\r\n\r\n",
    )
    for event in events:
        conn.send(event)
    conn.send(
        "Event: OutboundRegistrationDetailComplete\r\n",
        aid,
        f"EventList: Complete\r\nListItems: {len(regs)}\r\nRegistered: {registered}\r\n"
        f"NotRegistered: {len(regs) - registered}\r\n\r\n",
    )


def _contacts(
    conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str
) -> None:
    contacts = scenario.contacts
    if not contacts:
        conn.error(aid, "No Contacts found\n")
        return
    events = [
        event_block(
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
    conn.send_list(aid, intro, events, "ContactListComplete")


def _channels(
    conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str
) -> None:
    events = []
    for ch in scenario.channels:
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
        events.append(event_block("CoreShowChannel", aid, pairs))
    conn.send_list(aid, "Channels will follow", events, "CoreShowChannelsComplete")


def _queue_summary(
    conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str
) -> None:
    queues = scenario.queues
    if queues is None:
        conn.error(aid, unknown_action("QueueSummary"))
        return
    events = [
        event_block(
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
    conn.send_list(aid, "Queue summary will follow", events, "QueueSummaryComplete")


def _sip_peers(
    conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str
) -> None:
    peers = scenario.sip_peers
    if peers is None:
        conn.error(aid, unknown_action("SIPpeers"))
        return
    events = [
        event_block(
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
    conn.send_list(aid, "Peer status list will follow", events, "PeerlistComplete")


def _sip_registry(
    conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str
) -> None:
    if scenario.sip_peers is None:
        conn.error(aid, unknown_action("SIPshowregistry"))
        return
    events = [
        event_block(
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
        for r in scenario.sip_registry
    ]
    conn.send_list(aid, "Registrations will follow", events, "RegistrationsComplete")


def _command(conn: AmiConnection, scenario: AmiScenario, headers: dict[str, str], aid: str) -> None:
    command = headers.get("command", "")
    text = scenario.commands.get(command)
    if scenario.legacy_command:
        # Asterisk <= 13: raw CLI text (LF line ends) straight after the headers.
        body = text if text is not None else f"No such command '{command}'\n"
        conn.send("Response: Follows\r\nPrivilege: Command\r\n", aid, body)
        conn.send("--END COMMAND--\r\n\r\n")
        return
    if text is None:
        status, text = "Error", f"No such command '{command}' (type 'core show help {command}')"
    else:
        status = "Success"
    lines = "".join(f"Output: {line}\r\n" for line in text.rstrip("\n").split("\n"))
    conn.send(f"Response: {status}\r\n", aid, "Message: Command output follows\r\n", lines, "\r\n")


# Keyed by the lower-cased name: manager.c matches an Action case-insensitively.
ACTIONS: dict[str, Action] = {
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
