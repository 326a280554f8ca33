"""What each SMI type in a trap net-snmp's snmptrap sent becomes once read (``plain``): the
value an operator would write down, by the whole-message decoding and the trap reader alike."""

from __future__ import annotations

from typing import Any

import pytest

from collector.snmp import notifications
from collector.snmp.trap_reader import TrapReader
from tests.support.snmptrap import captured_trap

pytestmark = pytest.mark.integration

#: (OID, snmptrap's type letter, the value given, what is read) for the types a v1 trap carries.
V1_TYPES = [
    ("1.3.6.1.2.1.4.20.1.1.10.0.0.1", "a", "10.0.0.1", "10.0.0.1"),  # IpAddress
    ("1.3.6.1.2.1.4.20.1.1.127.0.0.1", "a", "127.0.0.1", "127.0.0.1"),  # valid UTF-8 bytes
    ("1.3.6.1.2.1.4.21.1.7.0", "a", "192.168.255.254", "192.168.255.254"),
    ("1.3.6.1.2.1.2.2.1.9.1", "t", "12345", 12345),  # TimeTicks: hundredths of a second
    ("1.3.6.1.2.1.1.5.0", "s", "pbx-1 héllo", "pbx-1 héllo"),
    ("1.3.6.1.2.1.1.6.0", "s", "line one\r\nline two\t", "line one\r\nline two\t"),
    ("1.3.6.1.2.1.1.4.0", "s", "", ""),
    ("1.3.6.1.2.1.2.2.1.6.1", "x", "001a2b3c4d5e", "001a2b3c4d5e"),  # a MAC: binary, not text
    ("1.3.6.1.2.1.2.2.1.6.2", "x", "000000000000", "000000000000"),
    ("1.3.6.1.2.1.1.8.0", "x", "ff00", "ff00"),
    ("1.3.6.1.2.1.1.1.0", "x", "68656c6c6f00", "hello"),  # a C string, its NUL sent along
    ("1.3.6.1.2.1.1.2.0", "o", "1.3.6.1.4.1.1027", "1.3.6.1.4.1.1027"),
    ("1.3.6.1.2.1.2.2.1.10.1", "c", "4000000000", 4000000000),  # Counter32
    ("1.3.6.1.2.1.2.2.1.5.1", "u", "100000000", 100000000),  # Gauge32
    ("1.3.6.1.4.1.1027.4.1.1.2.2.1.0", "i", "-5", -5),
]  # fmt: skip
#: SNMPv1 has no Counter64.
V2C_TYPES = [*V1_TYPES, ("1.3.6.1.2.1.31.1.1.1.6.1", "C", "18446744073709551615", 2**64 - 1)]


def _sent(types: list[tuple[str, str, str, Any]], version: str) -> bytes:
    return captured_trap(
        varbinds=[part for oid, kind, given, _ in types for part in (oid, kind, given)],
        version=version,
    )


@pytest.mark.parametrize(("version", "types"), [("1", V1_TYPES), ("2c", V2C_TYPES)])
def test_it_reads_each_type_as_an_operator_writes_it(
    version: str, types: list[tuple[str, str, str, Any]]
) -> None:
    data = _sent(types, version)
    community, module, message = notifications.community_of(data)
    whole = notifications.decode("127.0.0.1", community, module, message)

    assert whole.varbinds == {oid: read for oid, _, _, read in types}
    assert TrapReader().read("127.0.0.1", data) == whole


def test_it_reads_an_ip_address_as_a_dotted_quad_whatever_its_bytes() -> None:
    # 127.0.0.1 and 10.0.0.1 are also valid UTF-8 ("\x7f\x00\x00\x01"): still addresses.
    quads = ["127.0.0.1", "10.0.0.1", "0.0.0.0", "255.255.255.255", "192.0.2.200"]
    types = [(f"1.3.6.1.2.1.4.20.1.1.{quad}", "a", quad, quad) for quad in quads]
    data = _sent(types, "2c")
    assert TrapReader().read("127.0.0.1", data).varbinds == {oid: quad for oid, _, quad, _ in types}
