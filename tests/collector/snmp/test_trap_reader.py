"""The trap reader against the whole-message decoding, on datagrams net-snmp's snmptrap sent:
it reads what it takes exactly as pysnmp decodes the whole message, and leaves the rest."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from collector.snmp import notifications, trap_reader
from collector.snmp.notifications import MalformedMessage, Notification
from collector.snmp.trap_reader import TrapReader, Unusual
from tests.support.snmptrap import (
    ALARM_TRAP,
    RESTART_TRAP,
    V3_AUTH,
    alarm,
    captured_trap,
    renumbered,
)

pytestmark = pytest.mark.integration

#: Objects of every SMI type snmptrap can send: string, IP address, TimeTicks, hex string,
#: OID, Counter32, Gauge32, unsigned and a negative integer.
ALL_TYPES = [
    "1.3.6.1.2.1.1.5.0", "s", "pbx-1 héllo",
    "1.3.6.1.2.1.4.20.1.1.10.0.0.1", "a", "10.0.0.1",
    "1.3.6.1.2.1.1.3.0", "t", "12345",
    "1.3.6.1.2.1.1.8.0", "x", "ff00",
    "1.3.6.1.2.1.1.2.0", "o", "1.3.6.1.4.1.1027",
    "1.3.6.1.2.1.2.2.1.10.1", "c", "4000000000",
    "1.3.6.1.2.1.2.2.1.5.1", "u", "100000000",
    "1.3.6.1.4.1.1027.4.1.1.2.2.1.0", "i", "-5",
]  # fmt: skip


def _whole(data: bytes, source: str = "127.0.0.1") -> Notification:
    community, module, message = notifications.community_of(data)
    return notifications.decode(source, community, module, message)


@pytest.fixture(scope="module")
def traps() -> list[bytes]:
    return [
        captured_trap(varbinds=alarm(3, 2)),
        captured_trap(varbinds=alarm(3, 2), version="1"),
        captured_trap(RESTART_TRAP),
        captured_trap(RESTART_TRAP, version="1"),
        captured_trap(varbinds=ALL_TYPES),
        captured_trap(varbinds=ALL_TYPES, version="1"),
        captured_trap("1.3.6.1.6.3.1.1.5.3", version="1", varbinds=alarm(1)),  # linkDown
        captured_trap(varbinds=alarm(2), credential="another community"),
    ]


def test_it_reads_v1_and_v2c_traps_as_the_whole_message_decoding_does(
    traps: list[bytes],
) -> None:
    reader = TrapReader()
    for data in traps:
        assert reader.read("127.0.0.1", data) == _whole(data)
    linkdown = reader.read("127.0.0.1", traps[6])
    assert (linkdown.version, linkdown.oid) == ("1", "1.3.6.1.6.3.1.1.5.3")
    assert reader.read("127.0.0.1", traps[7]).credential == "another community"


def test_a_storm_with_new_request_ids_and_uptimes_is_one_payload_decoded(
    traps: list[bytes],
) -> None:
    reader = TrapReader()
    storm = [renumbered(traps[n % 2 * 2], 7000 + n, 90_000 + n) for n in range(50)]  # 2 kinds
    assert len(set(storm)) == 50

    read = [reader.read("127.0.0.1", data) for data in storm]

    assert read == [_whole(data) for data in storm]
    assert reader.known_payloads == 2
    assert {n.oid for n in read} == {ALARM_TRAP, RESTART_TRAP}


def test_it_forgets_the_oldest_payload_past_its_bound(traps: list[bytes]) -> None:
    reader = TrapReader(remembered=2)
    for data in traps[:4]:
        reader.read("127.0.0.1", data)
    assert reader.known_payloads == 2
    assert reader.read("127.0.0.1", traps[0]) == _whole(traps[0])


def test_it_does_not_keep_a_large_payload() -> None:
    reader = TrapReader()
    large = captured_trap(varbinds=["1.3.6.1.2.1.1.1.0", "s", "x" * 3000])
    assert reader.read("127.0.0.1", large) == _whole(large)
    assert reader.known_payloads == 0


def test_it_leaves_snmpv3_to_the_whole_message_decoding() -> None:
    data = captured_trap(varbinds=alarm(4), version="3", credential=V3_AUTH)
    with pytest.raises(Unusual):
        TrapReader().read("127.0.0.1", data)


def test_fuzzed_datagrams_are_read_alike_or_left_to_the_whole_message_decoding(
    traps: list[bytes],
) -> None:
    rng = random.Random(15)
    reader = TrapReader(remembered=16)
    taken = left = 0
    for _ in range(3000):
        data = bytearray(rng.choice(traps))
        for _ in range(rng.randint(1, 3)):
            where = rng.randrange(len(data))
            change = rng.random()
            if change < 0.6:
                data[where] = rng.randrange(256)
            elif change < 0.8:
                del data[max(where, 1) :]
            else:
                data += rng.randbytes(rng.randint(1, 4))
        try:
            found = reader.read("127.0.0.1", bytes(data))
        except Unusual:
            left += 1
            continue
        taken += 1
        try:
            assert found == _whole(bytes(data))
        except MalformedMessage:
            pytest.fail(f"read a datagram pysnmp refuses: {bytes(data).hex()}")
    assert taken and left  # both kinds happened: the comparison above was made


def _renewed_positions(first: bytes, second: bytes) -> list[int]:
    """Where two sendings of one notification differ (the renewed elements' values)."""
    assert len(first) == len(second)
    return [n for n in range(len(first)) if first[n] != second[n]]


def _v1_sent_twice() -> tuple[bytes, bytes]:
    """A v1 trap sent twice by snmptrap: its time-stamp (the machine's uptime) renewed."""
    first = captured_trap(varbinds=alarm(3, 2), version="1")
    while (second := captured_trap(varbinds=alarm(3, 2), version="1")) == first:
        time.sleep(0.01)
    return first, second


def test_a_repeat_decodes_only_its_renewed_elements(
    traps: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        decoded.append(args[1])
        return element(*args, **kwargs)

    element = trap_reader._ELEMENT
    monkeypatch.setattr(trap_reader, "_ELEMENT", counted)
    reader = TrapReader()
    v1_first, v1_second = _v1_sent_twice()
    for first, again, renewed in [
        (renumbered(traps[0], 7000, 90_000), renumbered(traps[0], 7001, 90_001), 2),
        (v1_first, v1_second, 1),  # v2c: request-id and sysUpTime.0; v1: time-stamp
    ]:
        reader.read("127.0.0.1", first)
        decoded.clear()

        assert reader.read("127.0.0.1", again) == _whole(again)
        assert len(decoded) == renewed
        decoded.clear()
        assert reader.read("127.0.0.1", first) == _whole(first)
        assert decoded == []  # the very datagram kept: nothing left to decode
        assert reader.read("10.0.0.9", again) == _whole(again, "10.0.0.9")
        assert len(decoded) > 2  # another source: read whole


def test_a_repeat_with_a_renewed_element_pyasn1_refuses_is_left_to_the_whole_decoding(
    traps: list[bytes],
) -> None:
    reader = TrapReader()
    kept = renumbered(traps[0], 7000, 0x7F_FF_FF)  # sysUpTime.0's value in three bytes
    reader.read("127.0.0.1", kept)
    negative = kept.replace(bytes.fromhex("43037fffff"), bytes.fromhex("4303ffffff"))
    assert len(negative) == len(kept) and negative != kept

    with pytest.raises(Unusual):
        reader.read("127.0.0.1", negative)
    with pytest.raises(MalformedMessage):
        _whole(negative)


def test_repeats_fuzzed_around_their_renewed_elements_are_read_alike_or_left_alone(
    traps: list[bytes],
) -> None:
    rng = random.Random(15)
    v2c = (renumbered(traps[0], 7000, 90_000), renumbered(traps[0], 7001, 90_001))
    sendings = [v2c, _v1_sent_twice()]
    reader = TrapReader()
    taken = left = 0
    for first, second in sendings:
        reader.read("127.0.0.1", first)
        near = sorted({n + d for n in _renewed_positions(first, second) for d in range(-3, 3)})
        for _ in range(1000):
            data = bytearray(first)
            for _ in range(rng.randint(1, 3)):
                data[rng.choice(near)] = rng.randrange(256)
            try:
                found = reader.read("127.0.0.1", bytes(data))
            except Unusual:
                left += 1
                continue
            taken += 1
            try:
                assert found == _whole(bytes(data))
            except MalformedMessage:
                pytest.fail(f"read a datagram pysnmp refuses: {bytes(data).hex()}")
    assert taken and left
