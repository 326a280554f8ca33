"""Traps sent by net-snmp's snmptrap to the running collector: accepted from known hosts with
the right credentials (v1, v2c, v3 authPriv), dropped and counted otherwise, never stored."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from collector.config.settings import CollectorConfig
from collector.store import snmp as snmp_store
from collector.store.snmp import AlarmStatus
from collector.store.telemetry_schema import snmp_traps
from tests.support.snmp_collector import HOST, MITEL_ALARM, SnmpCollector, add_mitel, snmp_collector
from tests.support.snmptrap import (
    ENGINE_ID,
    V3_AUTH,
    V3_PRIV,
    V3_USER,
    alarm,
    captured_trap,
    send_trap,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def collector(sqlite_url: str, tmp_path: Path) -> AsyncIterator[SnmpCollector]:
    async with snmp_collector(sqlite_url, tmp_path) as running:
        yield running


def _send_datagram(port: int, data: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(data, ("127.0.0.1", port))


async def test_it_turns_a_v2c_alarm_trap_into_a_major_fault_and_clears_it(
    collector: SnmpCollector,
) -> None:
    send_trap(collector.port, varbinds=alarm(3, 2))
    await collector.wait_for_traps(1)
    await collector.duty.tick()

    [fault] = await collector.open_faults(MITEL_ALARM)
    assert (fault.title, fault.severity) == ("Mitel alarm level", "major")
    assert "Mitel alarm level: major" in fault.detail

    send_trap(collector.port, varbinds=alarm(1))
    await collector.wait_for_traps(2)
    await collector.duty.tick()
    assert await collector.open_faults(MITEL_ALARM) == []


async def test_it_reads_an_snmpv1_trap_by_its_enterprise_and_specific_number(
    collector: SnmpCollector,
) -> None:
    send_trap(collector.port, varbinds=alarm(4), version="1")
    await collector.wait_for_traps(1)
    await collector.duty.tick()

    [fault] = await collector.open_faults(MITEL_ALARM)
    assert fault.severity == "critical"


async def test_it_accepts_a_trap_that_only_leaders_turn_into_faults(
    collector: SnmpCollector,
) -> None:
    send_trap(collector.port, varbinds=alarm(2))
    await collector.wait_for_traps(1)
    assert await collector.all_faults() == []  # received and stored; no duty has run

    await collector.duty.tick()
    [fault] = await collector.open_faults(MITEL_ALARM)
    assert fault.severity == "minor"


async def test_it_drops_a_wrong_community_and_counts_it(collector: SnmpCollector) -> None:
    send_trap(collector.port, varbinds=alarm(4), credential="guess")
    send_trap(collector.port, varbinds=alarm(3))  # a good one after it, to know both arrived
    await collector.wait_for_traps(1)

    assert await collector.metric("faultdesk_snmp_traps_dropped_total", reason="bad_community") == 1
    assert await collector.stored_traps() == 1
    await collector.duty.tick()
    [fault] = await collector.open_faults(MITEL_ALARM)
    assert fault.severity == "major"  # the good trap's level, not the refused one's


async def test_it_drops_traps_from_an_unknown_source_and_logs_it_once(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def elsewhere(conn: Connection, config: CollectorConfig) -> None:
        add_mitel(conn, config, address="127.0.0.9")

    async with snmp_collector(sqlite_url, tmp_path, add_host=elsewhere) as collector:
        caplog.set_level(logging.WARNING, logger="collector.snmp.receiver")
        for _ in range(3):
            send_trap(collector.port, varbinds=alarm(4))
        await _wait_for_metric(collector, "faultdesk_snmp_traps_dropped_total", 3,
                               reason="unknown_source")  # fmt: skip

        assert await collector.stored_traps() == 0
        await collector.duty.tick()
        assert await collector.all_faults() == []
        logged = [
            r for r in caplog.records
            if r.name == "collector.snmp.receiver" and "from 127.0.0.1 dropped" in r.getMessage()
        ]  # fmt: skip
        assert len(logged) == 1


async def test_it_accepts_snmpv3_authpriv_and_drops_a_wrong_key(
    sqlite_url: str, tmp_path: Path
) -> None:
    def v3_host(conn: Connection, config: CollectorConfig) -> None:
        add_mitel(conn, config, version="3", user=V3_USER, auth_protocol="SHA",
                  auth_key=V3_AUTH, priv_protocol="AES", priv_key=V3_PRIV,
                  engine_id=ENGINE_ID)  # fmt: skip

    async with snmp_collector(sqlite_url, tmp_path, add_host=v3_host) as collector:
        send_trap(collector.port, varbinds=alarm(4), version="3", credential="not-the-key")
        send_trap(collector.port, varbinds=alarm(3), version="3", credential=V3_AUTH)
        await collector.wait_for_traps(1)

        assert await collector.metric("faultdesk_snmp_traps_dropped_total", reason="bad_v3") == 1
        await collector.duty.tick()
        [fault] = await collector.open_faults(MITEL_ALARM)
        assert fault.severity == "major"


async def test_it_survives_truncated_and_fuzzed_datagrams_and_stores_none(
    collector: SnmpCollector,
) -> None:
    good = captured_trap(varbinds=alarm(3))
    rng = random.Random(15)
    bad = [good[:cut] for cut in range(0, len(good), 3)]
    for _ in range(300):
        mutated = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        bad.append(bytes(mutated))
    bad += [rng.randbytes(rng.randint(1, 300)) for _ in range(200)]
    for data in bad:
        _send_datagram(collector.port, data)
    _send_datagram(collector.port, good)  # the receiver still works after all of it

    await _wait_for_metric(collector, "faultdesk_snmp_traps_received_total", 1)
    malformed = await collector.metric("faultdesk_snmp_traps_dropped_total", reason="malformed")
    assert malformed > 0
    # Whatever a fuzzed packet still decoded to, nothing but valid traps reached the store:
    # a mutated packet that decodes is a trap from the host with its community (counted).
    received = await _settled(collector, "faultdesk_snmp_traps_received_total")
    await collector.wait_for_traps(int(received))
    assert await collector.stored_traps() == received
    response = await collector.client.get("/healthz")
    assert response.status == 200


async def test_it_makes_one_fault_with_a_count_of_a_storm(collector: SnmpCollector) -> None:
    data = captured_trap(varbinds=alarm(4, 1))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(10_000):
            sock.sendto(data, ("127.0.0.1", collector.port))
    received = await _settled(collector, "faultdesk_snmp_traps_received_total")
    await collector.wait_for_traps(int(received))
    await collector.duty.tick()

    [fault] = await collector.all_faults()
    assert fault.check_key == MITEL_ALARM
    assert fault.severity == "critical"
    status = await collector.db.read(_status)
    assert status.traps_total == received > 0


def _status(conn: Connection) -> AlarmStatus:
    return snmp_store.load_status(conn, HOST)


async def _settled(collector: SnmpCollector, name: str) -> float:
    """The metric once the receiver has read everything the kernel kept for it: unchanged
    across a request to the same event loop, and not zero."""
    value = -1.0
    while True:
        await asyncio.sleep(0.1)
        now = await collector.metric(name)
        if now == value and now > 0:
            return now
        value = now


async def _wait_for_metric(
    collector: SnmpCollector, name: str, value: float, timeout_s: float = 30.0, **labels: str
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while await collector.metric(name, **labels) < value:
        assert loop.time() < deadline, f"{name} never reached {value}"
        await asyncio.sleep(0.05)


UPS_TRAP = "1.3.6.1.4.1.99999.0.7"
UPS_STATE = "1.3.6.1.4.1.99999.1.1.0"
UPS_WHAT = "1.3.6.1.4.1.99999.1.2.0"
UPS = {
    "label": "UPS state",
    "alarms": [{"notification": UPS_TRAP, "level": UPS_STATE,
                "values": {1: "ok", 2: "major", 3: "critical"}, "detail": UPS_WHAT}],
}  # fmt: skip


def _ups_host(conn: Connection, config: CollectorConfig) -> None:
    add_mitel(conn, config, host_id="acme-ups", profile="ups")


async def test_it_reads_another_model_from_a_configured_mapping(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with snmp_collector(
        sqlite_url, tmp_path, add_host=_ups_host, profiles={"ups": UPS}
    ) as collector:
        send_trap(collector.port, UPS_TRAP, [UPS_STATE, "i", "2", UPS_WHAT, "s", "on battery"])
        await collector.wait_for_traps(1)
        await collector.duty.tick()

        [fault] = await collector.open_faults("snmp.alarm:UPS state")
        assert fault.severity == "major"
        assert (fault.title, fault.detail) == ("UPS state", "UPS state: major; on battery")


@pytest.mark.parametrize("version", ["1", "2c"])
async def test_it_stores_and_shows_an_ip_address_varbind_as_a_dotted_quad(
    database_url: str, tmp_path: Path, version: str
) -> None:
    # 127.0.0.1's bytes are valid UTF-8: once stored as those 4 characters, not the address.
    async with snmp_collector(
        database_url, tmp_path, add_host=_ups_host, profiles={"ups": UPS}
    ) as collector:
        send_trap(collector.port, UPS_TRAP, [UPS_STATE, "i", "2", UPS_WHAT, "a", "127.0.0.1"],
                  version=version)  # fmt: skip
        await collector.wait_for_traps(1)
        assert await collector.db.read(_stored_varbinds) == [{UPS_STATE: 2, UPS_WHAT: "127.0.0.1"}]

        await collector.duty.tick()
        [fault] = await collector.open_faults("snmp.alarm:UPS state")
        assert fault.detail == "UPS state: major; 127.0.0.1"


def _stored_varbinds(conn: Connection) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.scalars(select(snmp_traps.c.varbinds))]
