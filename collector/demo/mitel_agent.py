"""A simulated Mitel's SNMP side, for the demo: it answers GET and GETNEXT (SNMPv2c) from a
table of objects, and sends SNMPv2c traps from its own address, through pysnmp's protocol API.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto import api
from pysnmp.proto.error import ProtocolError

log = logging.getLogger(__name__)

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"

#: OID → value: an int (INTEGER) or a str (OCTET STRING).
Objects = dict[str, int | str]


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.split("."))


def _value(value: int | str) -> Any:
    return V2C.Integer(value) if isinstance(value, int) else V2C.OctetString(value)


class MitelSnmpAgent(asyncio.DatagramProtocol):
    def __init__(self, community: str, objects: Callable[[], Objects]) -> None:
        self._community = community
        self._objects = objects
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's UDP transport has the interface without the base class
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            answer = self._answer(data)
        except (PyAsn1Error, ProtocolError, ValueError, KeyError):
            return  # not for us: a real agent drops it too
        if answer is not None and self._transport is not None:
            self._transport.sendto(answer, addr)

    def _answer(self, data: bytes) -> bytes | None:
        if int(api.decodeMessageVersion(data)) != api.SNMP_VERSION_2C:
            return None
        message, _ = decoder.decode(data, asn1Spec=V2C.Message())
        if bytes(V2C.apiMessage.get_community(message)).decode() != self._community:
            return None
        request = V2C.apiMessage.get_pdu(message)
        objects = self._objects()
        if request.isSameTypeWith(V2C.GetRequestPDU()):
            found = [(oid, self._get(objects, str(oid))) for oid, _ in _varbinds(request)]
        elif request.isSameTypeWith(V2C.GetNextRequestPDU()):
            found = [self._next(objects, str(oid)) for oid, _ in _varbinds(request)]
        else:
            return None
        response = V2C.apiPDU.get_response(request)
        V2C.apiPDU.set_varbinds(response, found)
        V2C.apiMessage.set_pdu(message, response)
        return bytes(encoder.encode(message))

    @staticmethod
    def _get(objects: Objects, oid: str) -> Any:
        return _value(objects[oid]) if oid in objects else V2C.NoSuchObject("")

    @staticmethod
    def _next(objects: Objects, oid: str) -> tuple[Any, Any]:
        after = sorted((o for o in objects if _key(o) > _key(oid)), key=_key)
        if not after:
            return V2C.ObjectIdentifier(oid), V2C.EndOfMibView("")
        return V2C.ObjectIdentifier(after[0]), _value(objects[after[0]])

    def send_trap(
        self, destination: tuple[str, int], notification: str, varbinds: Objects, uptime: int
    ) -> None:
        """An SNMPv2c trap from this agent's own address (the collector matches on it)."""
        pdu = V2C.SNMPv2TrapPDU()
        V2C.apiTrapPDU.set_defaults(pdu)
        binds = [
            (V2C.ObjectIdentifier(SYS_UPTIME), V2C.TimeTicks(uptime)),
            (V2C.ObjectIdentifier(SNMP_TRAP_OID), V2C.ObjectIdentifier(notification)),
            *((V2C.ObjectIdentifier(oid), _value(value)) for oid, value in varbinds.items()),
        ]
        V2C.apiTrapPDU.set_varbinds(pdu, binds)
        message = V2C.Message()
        V2C.apiMessage.set_defaults(message)
        V2C.apiMessage.set_community(message, self._community)
        V2C.apiMessage.set_pdu(message, pdu)
        if self._transport is not None:
            self._transport.sendto(bytes(encoder.encode(message)), destination)


def _varbinds(pdu: Any) -> list[tuple[Any, Any]]:
    return list(V2C.apiPDU.get_varbinds(pdu))
