"""Traps sent by net-snmp's own ``snmptrap`` (Debian package ``snmp``), and Mitel's OIDs."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Sequence

MITEL = "1.3.6.1.4.1.1027"
ALARM_TRAP = f"{MITEL}.1.2.3.0.301"  # mitelIpera3000NotifAlarm
SHUTDOWN_TRAP = f"{MITEL}.1.2.3.0.302"
RESTART_TRAP = f"{MITEL}.1.2.3.0.303"
FAILOVER_TRAP = f"{MITEL}.1.2.3.0.501"
LEVEL = f"{MITEL}.4.1.1.2.2.1.0"  # mitelIpera3000AlmLevel.0
CATEGORIES = f"{MITEL}.4.1.1.2.2.3.0"  # mitelIpera3000AlmNbrCategories.0
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
