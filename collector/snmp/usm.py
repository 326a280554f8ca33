"""SNMPv3 notifications: USM authentication and privacy checked by a pysnmp engine.

Datagrams are handed to the engine's message dispatcher directly (the receiver owns the
socket); a notification that passes USM reaches ``_received`` while ``decode`` runs, and one
that does not (unknown user, wrong key, wrong engine id) reaches nothing.

A trap's sender is the authoritative engine, so each host's user is registered under the
host's own engine id (``snmptrap -e``, or the PBX's configured engine id).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyasn1.type import univ
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv

from collector.snmp.notifications import MalformedMessage, Notification, from_varbinds
from collector.store.snmp import SnmpAgent

AUTH_PROTOCOLS = {
    "": config.USM_AUTH_NONE,
    "MD5": config.USM_AUTH_HMAC96_MD5,
    "SHA": config.USM_AUTH_HMAC96_SHA,
    "SHA-224": config.USM_AUTH_HMAC128_SHA224,
    "SHA-256": config.USM_AUTH_HMAC192_SHA256,
    "SHA-384": config.USM_AUTH_HMAC256_SHA384,
    "SHA-512": config.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "": config.USM_PRIV_NONE,
    "DES": config.USM_PRIV_CBC56_DES,
    "AES": config.USM_PRIV_CFB128_AES,
    "AES-192": config.USM_PRIV_CFB192_AES,
    "AES-256": config.USM_PRIV_CFB256_AES,
}


class UsmReceiver:
    def __init__(self) -> None:
        self._configured: dict[str, SnmpAgent] = {}
        self._engine: Any = None
        self._found: list[Any] = []

    def configure(self, agents: Iterable[SnmpAgent]) -> None:
        """(Re)build the engine when the v3 users change; it is cheap and rare."""
        wanted = {agent.address: agent for agent in agents}
        if wanted == self._configured:
            return
        self._configured = wanted
        self._engine = None
        if not wanted:
            return
        snmp_engine = engine.SnmpEngine()
        for agent in wanted.values():
            config.add_v3_user(
                snmp_engine,
                agent.user,
                AUTH_PROTOCOLS[agent.auth_protocol],
                agent.auth_key or None,
                PRIV_PROTOCOLS[agent.priv_protocol],
                agent.priv_key or None,
                securityEngineId=_engine_id(agent.engine_id),
            )
        ntfrcv.NotificationReceiver(snmp_engine, self._received)
        self._engine = snmp_engine

    def decode(self, source: str, data: bytes) -> Notification | None:
        """The notification if USM accepts the message; None if it does not."""
        if self._engine is None:
            return None
        agent = self._configured.get(source)
        if agent is None:
            return None
        self._found = []
        dispatcher = self._engine.message_dispatcher
        try:
            dispatcher.receive_message(self._engine, config.SNMP_UDP_DOMAIN, (source, 0), data)
        except Exception as exc:  # pysnmp's own checks failing in ways it does not translate
            raise MalformedMessage(f"SNMPv3 message refused: {exc}") from None
        if not self._found:
            return None
        security_name, pairs = self._found[0]
        if str(security_name) != agent.user:
            return None
        return from_varbinds(source, "3", agent.user, pairs)

    def _received(
        self, snmp_engine: Any, state: Any, engine_id: Any, context: Any, varbinds: Any, ctx: Any
    ) -> None:
        found = snmp_engine.observer.get_execution_context("rfc3412.receiveMessage:request")
        self._found.append((found.get("securityName", ""), varbinds))


def _engine_id(text: str) -> Any:
    return univ.OctetString(hexValue=text.removeprefix("0x")) if text else None
