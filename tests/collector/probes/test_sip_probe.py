"""The collector's SIP probe gives monitoring-plugin verdicts for a real Kamailio."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from collector.probes.base import Verdict
from collector.probes.sip import probe_sip
from tests.support.kamailio import KamailioServer, running_kamailio

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kamailio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamailioServer]:
    with running_kamailio(tmp_path_factory.mktemp("kamailio")) as server:
        yield server


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_it_is_ok_when_the_pbx_answers(kamailio: KamailioServer, transport: str) -> None:
    result = await probe_sip(kamailio.host, kamailio.port, transport=transport, uri_user="ok")
    assert result.kind == "sip"
    assert result.target == f"127.0.0.1:{kamailio.port}/{transport}"
    assert result.verdict is Verdict.OK
    assert result.latency_ms is not None
    assert result.detail.startswith("200 OK in ")
    assert result.data["code"] == 200
    assert result.data["state"] == "up"


async def test_it_is_ok_when_the_pbx_asks_for_credentials(kamailio: KamailioServer) -> None:
    result = await probe_sip(kamailio.host, kamailio.port, uri_user="auth")
    assert result.verdict is Verdict.OK
    assert result.data["code"] == 401


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_it_warns_on_a_server_error(kamailio: KamailioServer, transport: str) -> None:
    result = await probe_sip(kamailio.host, kamailio.port, transport=transport, uri_user="busy")
    assert result.verdict is Verdict.WARNING
    assert result.detail.startswith("503 Service Unavailable in ")
    assert result.data["state"] == "degraded"


async def test_it_is_critical_when_the_pbx_stays_silent(kamailio: KamailioServer) -> None:
    result = await probe_sip(kamailio.host, kamailio.port, timeout_s=1.0, uri_user="drop")
    assert result.verdict is Verdict.CRITICAL
    assert result.latency_ms is None
    assert result.detail == "no answer: no final response within 1 s"
    assert result.verdict.exit_code == 2


async def test_it_is_critical_when_the_port_is_closed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        port = holder.getsockname()[1]
        result = await probe_sip("127.0.0.1", port, transport="tcp", timeout_s=1.0)
    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "no answer: connection refused"
