"""SNMPv1 and v2c traps read one element at a time through pysnmp's message schemas, with the
variable bindings of recent payloads kept decoded.

pyasn1 spends several microseconds on every element of a message, and a v2c alarm trap has
some 25: decoding it whole (``notifications.community_of``) costs ~450 us, four times what
net-snmp's snmptrapd spends on the trap. A storm repeats one payload with a new request-id and
sysUpTime. So here each element of the message's header is decoded by pyasn1 as the type
pysnmp's schema gives it, the leading sysUpTime.0 binding as the TimeTicks it must be, and the
remaining bindings, looked up by their bytes, are decoded by pysnmp's VarBind only the first
time those bytes are seen. A datagram read that way is kept as a pattern (``trap_repeats``):
the same notification sent again is then read by decoding only the elements a sender renews
(request-id and sysUpTime.0, or a v1 trap's time-stamp), 2 elements instead of 11 (~15 us
against ~80 us).

Whatever the reader does not expect (another PDU, another version, indefinite lengths,
trailing bytes, a first binding other than sysUpTime.0 as TimeTicks, no snmpTrapOID.0) it
refuses with ``Unusual``, and the whole-message decoding, which has the final word on what is
valid, reads that datagram instead.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyasn1.codec.ber import decoder
from pyasn1.error import PyAsn1Error, SubstrateUnderrunError
from pyasn1.type import univ
from pysnmp.proto import api, rfc1902

from collector.snmp.notifications import (
    SNMP_TRAP_OID,
    SYS_UPTIME,
    VERSION_NAMES,
    Notification,
    plain,
    v1_notification_oid,
)
from collector.snmp.trap_repeats import Hole, Patterns

#: Distinct payloads kept decoded, and datagrams kept as patterns; past it the oldest is
#: forgotten. Larger ones than ``REMEMBERED_BYTES`` are not kept, so the memory held stays a
#: few megabytes at most.
REMEMBERED = 1024
REMEMBERED_BYTES = 2048
#: The trap PDU's elements a sender renews when it sends a notification again.
RENEWED = frozenset({"request-id", "time-stamp"})


class Unusual(Exception):
    """Not a datagram this reader takes: the whole-message decoding reads it."""


@dataclass(frozen=True)
class _Schema:
    """The types of one SNMP version's trap message, from pysnmp's schema."""

    version: str
    message: Any
    community: Any
    trap: Any
    header: tuple[tuple[str, Any], ...]  # the trap PDU's elements before its bindings
    bindings: Any
    binding: Any
    api_binding: Any


def _schema(number: int) -> _Schema:
    module = api.PROTOCOL_MODULES[number]
    message = module.Message()
    trap = module.TrapPDU() if number == api.SNMP_VERSION_1 else module.SNMPv2TrapPDU()
    parts = trap.componentType.namedTypes
    community = message.componentType.getTypeByPosition(
        message.componentType.getPositionByName("community")
    )
    return _Schema(
        VERSION_NAMES[number],
        message,
        community,
        trap,
        tuple((part.name, part.asn1Object) for part in parts[:-1]),
        parts[-1].asn1Object,
        module.VarBind(),
        module.apiVarBind,
    )


_SCHEMAS = {number: _schema(number) for number in api.PROTOCOL_MODULES}
_VERSION = univ.Integer()
_NAME = rfc1902.ObjectName()
_UPTIME = rfc1902.TimeTicks()
_SYS_UPTIME = rfc1902.ObjectName(SYS_UPTIME)


class TrapReader:
    def __init__(self, remembered: int = REMEMBERED) -> None:
        self._remembered = remembered
        self._bindings: dict[tuple[int, bytes], dict[str, Any]] = {}
        self._patterns = Patterns(remembered, REMEMBERED_BYTES)

    @property
    def known_payloads(self) -> int:
        return len(self._bindings)

    def read(self, source: str, data: bytes) -> Notification:
        """The notification in a v1/v2c trap; raises Unusual for anything else."""
        try:
            pattern = self._patterns.find(source, data)
            if pattern is None:
                notification, holes = self._read(source, data)
                self._patterns.keep(data, holes, notification)
                return notification
            for element, spec in pattern.renewed(data):
                within = io.BytesIO(element)
                _next(within, spec)
                _at_end(within)
        except (PyAsn1Error, TypeError, ValueError, LookupError, AttributeError) as exc:
            raise Unusual(str(exc)) from None  # pyasn1 fails in ways it does not translate
        known = pattern.notification
        return Notification(known.source, known.version, known.credential, known.oid,
                            dict(known.varbinds))  # fmt: skip

    def _read(self, source: str, data: bytes) -> tuple[Notification, tuple[Hole, ...]]:
        """The notification, and the holes of the elements a sender renews in a repeat."""
        whole = io.BytesIO(data)
        message = io.BytesIO(_next(whole, _SCHEMAS[api.SNMP_VERSION_2C].message, _contents))
        _at_end(whole)
        number = int(_next(message, _VERSION))
        schema = _SCHEMAS.get(number)
        if schema is None:
            raise Unusual(f"SNMP version number {number}")
        community = bytes(_next(message, schema.community)).decode("utf-8", "replace")
        contents = _next(message, schema.trap, _contents)
        _at_end(message)
        pdu, pdu_at = io.BytesIO(contents), len(data) - len(contents)  # the message's last
        header, holes = {}, []
        for name, spec in schema.header:
            start = pdu.tell()
            header[name] = _next(pdu, spec)
            if name in RENEWED:
                holes.append(Hole(pdu_at + start, pdu_at + pdu.tell(), spec))
        bindings = _next(pdu, schema.bindings, _contents)
        _at_end(pdu)
        if number == api.SNMP_VERSION_1:
            oid = v1_notification_oid(
                header["enterprise"], header["generic-trap"], header["specific-trap"]
            )
            varbinds = dict(self._decoded(schema, bindings))
            return Notification(source, "1", community, oid, varbinds), tuple(holes)
        rest, (start, end) = _after_uptime(schema, bindings)
        bindings_at = len(data) - len(bindings)  # the PDU's last
        holes.append(Hole(bindings_at + start, bindings_at + end, _UPTIME))
        varbinds = dict(self._decoded(schema, rest))
        oid = varbinds.pop(SNMP_TRAP_OID, None)
        if not isinstance(oid, str):
            raise Unusual("no snmpTrapOID.0 in the notification")
        varbinds.pop(SYS_UPTIME, None)
        return Notification(source, schema.version, community, oid, varbinds), tuple(holes)

    def _decoded(self, schema: _Schema, bindings: bytes) -> dict[str, Any]:
        """The bindings as plain data (OID → value), decoded once per distinct bytes."""
        key = (id(schema), bindings)
        known = self._bindings.get(key)
        if known is not None:
            return known
        listing = io.BytesIO(bindings)
        pairs = []
        while listing.tell() < len(bindings):
            pairs.append(schema.api_binding.get_oid_value(_next(listing, schema.binding)))
        known = {str(name): plain(value) for name, value in pairs}
        if len(bindings) > REMEMBERED_BYTES:
            return known
        if len(self._bindings) >= self._remembered:
            del self._bindings[next(iter(self._bindings))]
        self._bindings[key] = known
        return known


def _after_uptime(schema: _Schema, bindings: bytes) -> tuple[bytes, tuple[int, int]]:
    """The bindings after the leading sysUpTime.0 (new in every trap, and not kept), and
    where its value lies in ``bindings``."""
    listing = io.BytesIO(bindings)
    contents = _next(listing, schema.binding, _contents)
    first = io.BytesIO(contents)
    if _next(first, _NAME) != _SYS_UPTIME:
        raise Unusual("the first binding is not sysUpTime.0")
    start = first.tell()
    _next(first, _UPTIME)
    _at_end(first)
    end = listing.tell()  # the value is the binding's last element
    return bindings[end:], (end - len(contents) + start, end)


def _contents(asn1Object: Any, stream: io.BytesIO, length: int, options: Any) -> Iterator[bytes]:
    """pyasn1's substrateFun: an element's contents, left undecoded."""
    if length < 0:
        raise Unusual("indefinite length")
    contents = stream.read(length)
    if len(contents) != length:
        raise Unusual("truncated")
    yield contents


#: pyasn1's decoder of one element, the one its StreamingDecoder makes anew for each stream: kept,
#: its caches of tags read stay warm (a tenth of the cost of an element).
_ELEMENT = decoder.StreamingDecoder.SINGLE_ITEM_DECODER()


def _next(stream: io.BytesIO, spec: Any, contents: Any = None) -> Any:
    """The next element in ``stream``, decoded by pyasn1 as ``spec`` (or its contents)."""
    for value in _ELEMENT(stream, spec, substrateFun=contents):
        if isinstance(value, SubstrateUnderrunError):
            raise Unusual("truncated")
        return value
    raise Unusual("nothing left to decode")


def _at_end(stream: io.BytesIO) -> None:
    if stream.read(1):
        raise Unusual("trailing bytes")
