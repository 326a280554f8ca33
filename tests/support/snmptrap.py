"""Traps sent by net-snmp's own ``snmptrap`` (Debian package ``snmp``), and Mitel's OIDs."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Sequence

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902

MITEL = "1.3.6.1.4.1.1027"
ALARM_TRAP = f"{MITEL}.1.2.3.0.301"  # mitelIpera3000NotifAlarm
SHUTDOWN_TRAP = f"{MITEL}.1.2.3.0.302"
RESTART_TRAP = f"{MITEL}.1.2.3.0.303"
FAILOVER_TRAP = f"{MITEL}.1.2.3.0.501"
LEVEL = f"{MITEL}.4.1.1.2.2.1.0"  # mitelIpera3000AlmLevel.0
CATEGORIES = f"{MITEL}.4.1.1.2.2.3.0"  # mitelIpera3000AlmNbrCategories.0
SNMP_TRAPS = "1.3.6.1.6.3.1.1.5"  # the generic traps: coldStart .1 ... linkDown .3
ENGINE_ID = "800007e580aabbccdd"
V3_USER = "faultdesk"
V3_AUTH = "auth-secret-1"
V3_PRIV = "priv-secret-1"

_ENV = {**os.environ, "MIBS": "", "SNMPCONFPATH": "/nonexistent"}


def trap_args(
    version: str, credential: str, notification: str, varbinds: Sequence[str]
) -> list[str]:
    """``snmptrap`` arguments before the destination, and the notification after it."""
    if version == "1":
        generic = notification.removeprefix(SNMP_TRAPS + ".")
        if generic != notification:  # a generic trap (coldStart... = snmpTraps.1...)
            return ["-v", "1", "-c", credential, "@", "", "127.0.0.1", str(int(generic) - 1),
                    "0", "", *varbinds]  # fmt: skip
        enterprise, _, specific = notification.rpartition(".0.")
        return ["-v", "1", "-c", credential, "@", enterprise, "127.0.0.1", "6", specific, "",
                *varbinds]  # fmt: skip
    if version == "3":
        return ["-v", "3", "-e", ENGINE_ID, "-u", V3_USER, "-l", "authPriv", "-a", "SHA",
                "-A", credential, "-x", "AES", "-X", V3_PRIV, "@", "", notification,
                *varbinds]  # fmt: skip
    return ["-v", "2c", "-c", credential, "@", "", notification, *varbinds]


def send_trap(
    port: int,
    notification: str = ALARM_TRAP,
    varbinds: Sequence[str] = (),
    *,
    version: str = "2c",
    credential: str = "public",
) -> None:
    args = trap_args(version, credential, notification, varbinds)
    at = args.index("@")
    args[at] = f"udp:127.0.0.1:{port}"
    subprocess.run(["snmptrap", *args], env=_ENV, check=True, capture_output=True, timeout=10)


def alarm(level: int, categories: int = 0) -> list[str]:
    return [LEVEL, "i", str(level), CATEGORIES, "i", str(categories)]


def captured_trap(notification: str = ALARM_TRAP, varbinds: Sequence[str] = (), *,
                  version: str = "2c", credential: str = "public") -> bytes:  # fmt: skip
    """The datagram ``snmptrap`` sends, caught on a socket of our own (to replay in bulk)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(10)
        send_trap(sock.getsockname()[1], notification, varbinds, version=version,
                  credential=credential)  # fmt: skip
        data, _ = sock.recvfrom(65535)
        return data


def renumbered(datagram: bytes, request_id: int, uptime: int) -> bytes:
    """A v2c trap datagram sent again as a sender does: a new request-id and sysUpTime.0, the
    same payload (pysnmp decodes and re-encodes it)."""
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message, _ = decoder.decode(datagram, asn1Spec=module.Message())
    pdu = module.apiMessage.get_pdu(message)
    module.apiPDU.set_request_id(pdu, request_id)
    varbinds = module.apiPDU.get_varbinds(pdu)
    varbinds[0] = (varbinds[0][0], rfc1902.TimeTicks(uptime))  # sysUpTime.0 comes first
    module.apiPDU.set_varbinds(pdu, varbinds)
    return bytes(encoder.encode(message))
