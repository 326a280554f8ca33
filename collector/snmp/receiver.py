"""The trap receiver: a UDP endpoint that accepts notifications only from known hosts.

    datagram ─source known?─▶ version ─community or USM─▶ decode ─▶ ``deliver(host, notification)``

Anything else is dropped and counted (``faultdesk_snmp_traps_dropped_total{reason}``), and
logged once per source and reason per hour, so a misconfigured or hostile sender cannot fill
the log. Nothing is stored for a dropped datagram. Source addresses are checked first, before
any decoding, so a flood from an unknown sender costs a dictionary lookup per packet.

A community host's traps are read by ``TrapReader`` (a storm's repeated payload decoded once);
what it does not take, and every SNMPv3 message, pysnmp decodes whole.
"""

from __future__ import annotations

import hmac
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from collector.runtime.metrics import Metrics
from collector.snmp import notifications
from collector.snmp.datagram_batches import DatagramBatches
from collector.snmp.notifications import MalformedMessage, Notification
from collector.snmp.trap_reader import TrapReader, Unusual
from collector.snmp.usm import UsmReceiver
from collector.store.snmp import SnmpAgent

log = logging.getLogger(__name__)

LOG_EVERY_S = 3600.0
#: A trap storm arrives faster than it is read, and traps are read in batches
#: (``DatagramBatches``): a large receive buffer loses less of them.
RECEIVE_BUFFER = 4 * 1024 * 1024

Deliver = Callable[[SnmpAgent, Notification], None]


class DropLog:
    """Logs a drop once per (source, reason) per ``every_s``; counts every one."""

    def __init__(self, metrics: Metrics, clock: Callable[[], float], every_s: float = LOG_EVERY_S):
        self._metrics = metrics
        self._clock = clock
        self._every_s = every_s
        self._last: dict[tuple[str, str], float] = {}

    def drop(self, source: str, reason: str, why: str) -> None:
        self._metrics.snmp_traps_dropped.labels(reason=reason).inc()
        now = self._clock()
        last = self._last.get((source, reason))
        if last is not None and now - last < self._every_s:
            return
        if len(self._last) > 10_000:  # many sources (spoofed): forget the old ones
            self._last = {k: t for k, t in self._last.items() if now - t < self._every_s}
        self._last[(source, reason)] = now
        log.warning("SNMP datagram from %s dropped (%s): %s; logged once an hour", source,
                    reason, why)  # fmt: skip


@dataclass
class Directory:
    """Known SNMP agents by source address; replaced whole when the hosts change."""

    by_address: dict[str, SnmpAgent]

    def replace(self, agents: list[SnmpAgent]) -> None:
        self.by_address = {agent.address: agent for agent in agents}


class TrapReceiver:
    def __init__(
        self, directory: Directory, deliver: Deliver, metrics: Metrics, drops: DropLog
    ) -> None:
        self._directory = directory
        self._deliver = deliver
        self._metrics = metrics
        self._drops = drops
        self._usm = UsmReceiver()
        self._reader = TrapReader()

    def refresh(self, agents: list[SnmpAgent]) -> None:
        self._directory.replace(agents)
        self._usm.configure([agent for agent in agents if agent.version == "3"])

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        source = str(addr[0])
        agent = self._directory.by_address.get(source)
        if agent is None:
            self._drops.drop(source, "unknown_source", "no host has this address")
            return
        try:
            notification = self._decode(agent, source, data)
        except MalformedMessage as exc:
            self._drops.drop(source, "malformed", str(exc))
            return
        except _Refused as exc:
            self._drops.drop(source, exc.reason, str(exc))
            return
        self._metrics.snmp_traps_received.inc()
        self._deliver(agent, notification)

    def _decode(self, agent: SnmpAgent, source: str, data: bytes) -> Notification:
        if agent.version != "3":
            try:
                read = self._reader.read(source, data)
            except Unusual:
                pass  # the whole-message decoding below decides
            else:
                self._check_community(agent, read.credential)
                return read
        version = notifications.message_version(data)
        # A community host may send v1 or v2c traps whichever version it is polled with;
        # a v3 host's traps must pass USM.
        if (version == "3") != (agent.version == "3"):
            raise _Refused("wrong_version", f"SNMPv{version}, host {agent.host_id} uses "
                           f"v{agent.version}")  # fmt: skip
        if version == "3":
            found = self._usm.decode(source, data)
            if found is None:
                raise _Refused("bad_v3", "not authenticated as the host's SNMPv3 user")
            return found
        community, module, message = notifications.community_of(data, version)
        self._check_community(agent, community)
        return notifications.decode(source, community, module, message)

    @staticmethod
    def _check_community(agent: SnmpAgent, community: str) -> None:
        if not hmac.compare_digest(community.encode(), agent.community.encode()):
            raise _Refused("bad_community", f"wrong community for host {agent.host_id}")


class _Refused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def listen(host: str, port: int, receiver: TrapReceiver) -> DatagramBatches:
    """Bind the receiver (in the running event loop); raises OSError when the address cannot
    be had."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)  # Linux caps at rmem_max
    if granted < RECEIVE_BUFFER:
        log.warning(
            "the SNMP trap socket's receive buffer is %d bytes, not the %d asked for: a storm "
            "may lose traps (raise net.core.rmem_max)", granted, RECEIVE_BUFFER,
        )  # fmt: skip
    batches = DatagramBatches(sock, receiver.datagram_received)
    batches.start()
    return batches
