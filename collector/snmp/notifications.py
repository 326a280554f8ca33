"""SNMPv1 and v2c notifications decoded by pysnmp's protocol API into plain data.

A v1 Trap-PDU becomes the notification OID RFC 3584 gives it (``enterprise.0.specific``, or
``snmpTraps.N`` for the generic traps), so a profile names one OID whatever the version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any

from pyasn1.codec.ber import decoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pysnmp.proto import api, rfc1155, rfc1902
from pysnmp.proto.error import ProtocolError

SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
_SNMP_TRAPS = "1.3.6.1.6.3.1.1.5"
VERSION_NAMES = {0: "1", 1: "2c", 3: "3"}


class MalformedMessage(ValueError):
    """Not an SNMP notification pysnmp can decode (truncated, fuzzed, another PDU type)."""


@dataclass(frozen=True)
class Notification:
    """One received trap: who sent it, how it was authenticated, what it says."""

    source: str  # the sender's IP address
    version: str  # "1", "2c" or "3"
    credential: str  # the community, or the v3 user
    oid: str  # the notification OID
    varbinds: dict[str, Any] = field(default_factory=dict)  # OID → int, float or str


def message_version(data: bytes) -> str:
    """ "1", "2c" or "3"; raises MalformedMessage when even that cannot be read."""
    try:
        number = int(api.decodeMessageVersion(data))
    except (ProtocolError, PyAsn1Error, ValueError, TypeError) as exc:
        raise MalformedMessage(f"not an SNMP message: {exc}") from None
    version = VERSION_NAMES.get(number)
    if version is None:
        raise MalformedMessage(f"unknown SNMP version {number}")
    return version


#: The message schemas, built once: building one costs a third of decoding a trap with it.
_SPECS = {number: module.Message() for number, module in api.PROTOCOL_MODULES.items()}
_NUMBERS = {name: number for number, name in VERSION_NAMES.items()}


def community_of(data: bytes, version: str | None = None) -> tuple[str, Any, Any]:
    """A v1/v2c message's community, protocol module and decoded message (``version``, when
    already read by ``message_version``, is not read again)."""
    try:
        number = _NUMBERS[version] if version else int(api.decodeMessageVersion(data))
        module = api.PROTOCOL_MODULES[number]
        message, _ = decoder.decode(data, asn1Spec=_SPECS[number])
        community = bytes(module.apiMessage.get_community(message)).decode("utf-8", "replace")
    except (ProtocolError, PyAsn1Error, LookupError, ValueError, TypeError) as exc:
        raise MalformedMessage(f"cannot decode SNMP message: {exc}") from None
    return community, module, message


def decode(source: str, community: str, module: Any, message: Any) -> Notification:
    """The notification in a decoded v1/v2c message."""
    try:
        pdu = module.apiMessage.get_pdu(message)
        if module is api.PROTOCOL_MODULES[api.SNMP_VERSION_1]:
            if not pdu.isSameTypeWith(module.TrapPDU()):
                raise MalformedMessage("not a Trap-PDU")
            return _v1(source, community, module, pdu)
        if not pdu.isSameTypeWith(module.SNMPv2TrapPDU()):
            raise MalformedMessage("not an SNMPv2-Trap-PDU")
        return from_varbinds(source, "2c", community, module.apiPDU.get_varbinds(pdu))
    except (PyAsn1Error, ValueError, TypeError, LookupError, AttributeError) as exc:
        raise MalformedMessage(f"cannot read the notification: {exc}") from None


def from_varbinds(source: str, version: str, credential: str, pairs: Any) -> Notification:
    """A v2c/v3 notification from its varbinds (sysUpTime.0, snmpTrapOID.0, payload...)."""
    varbinds = {str(oid): plain(value) for oid, value in pairs}
    oid = varbinds.pop(SNMP_TRAP_OID, None)
    if not isinstance(oid, str):
        raise MalformedMessage("no snmpTrapOID.0 in the notification")
    varbinds.pop(SYS_UPTIME, None)
    return Notification(source, version, credential, oid, varbinds)


def _v1(source: str, community: str, module: Any, pdu: Any) -> Notification:
    trap = module.apiTrapPDU
    oid = v1_notification_oid(
        trap.get_enterprise(pdu), trap.get_generic_trap(pdu), trap.get_specific_trap(pdu)
    )
    varbinds = {str(name): plain(value) for name, value in trap.get_varbinds(pdu)}
    return Notification(source, "1", community, oid, varbinds)


def v1_notification_oid(enterprise: Any, generic_trap: Any, specific_trap: Any) -> str:
    """A v1 Trap-PDU's notification OID (RFC 3584, 3.1.2)."""
    generic = int(generic_trap)
    if generic == 6:  # enterpriseSpecific
        return f"{enterprise}.0.{int(specific_trap)}"
    return f"{_SNMP_TRAPS}.{generic + 1}"


def plain(value: Any) -> Any:
    """An ASN.1 value as JSON-able data: integers (TimeTicks and counters too) as int, OIDs
    dotted, IP addresses as dotted quads, strings as text, binary strings as hex."""
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    if isinstance(value, _IP_ADDRESSES):  # an OCTET STRING of 4 bytes, not text
        return str(IPv4Address(bytes(value)))
    if isinstance(value, univ.OctetString):
        return _text_or_hex(bytes(value))
    return value.prettyPrint() if hasattr(value, "prettyPrint") else str(value)


#: SNMPv2's IpAddress, and SNMPv1's that a v1 message decodes to.
_IP_ADDRESSES = (rfc1902.IpAddress, rfc1155.IpAddress)


def _text_or_hex(raw: bytes) -> str:
    """Printable UTF-8 as text; any other bytes (a MAC address, a bit string) as hex, even
    when they happen to decode as UTF-8 (control characters, a NUL within)."""
    try:
        # One trailing NUL is a C string's terminator, which some agents send along.
        text = raw.decode("utf-8").removesuffix("\x00")
    except UnicodeDecodeError:
        return raw.hex()
    if (text or not raw) and all(ch.isprintable() or ch in "\t\n\r" for ch in text):
        return text
    return raw.hex()
