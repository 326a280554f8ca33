"""The agent's SIP OPTIONS probe: message handling in isolation, then against a real Kamailio."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest

from agent.probes.sip import SipSettings, collect
from agent.sip import (
    OptionsRequest,
    frame_message,
    options_ping,
    parse_response,
    retransmit_schedule,
)
from tests.support.kamailio import KamailioServer, running_kamailio

TIMEOUT_S = 1.5  # short, so "down" cases stay quick
T1_S = 0.25


@pytest.fixture(scope="module")
def kamailio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamailioServer]:
    with running_kamailio(tmp_path_factory.mktemp("kamailio")) as server:
        yield server


def _request(transport: str = "udp") -> OptionsRequest:
    return OptionsRequest.new("10.0.0.5", 5060, transport, ("192.0.2.7", 40123), "ok")


def _reply_to(request: OptionsRequest, status: str = "200 OK", branch: str | None = None) -> bytes:
    via = f"SIP/2.0/UDP 192.0.2.7:40123;branch={branch or request.branch};rport=40123"
    return (
        f"SIP/2.0 {status}\r\n"
        f"v: {via};received=192.0.2.7\r\n"
        f"From: <sip:faultdesk@192.0.2.7>;tag={request.from_tag}\r\n"
        "To: <sip:ok@10.0.0.5:5060>;tag=abc\r\n"
        f"i: {request.call_id}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


# --- pure parts -------------------------------------------------------------------------------


def test_it_retransmits_on_t1_doubling_up_to_t2() -> None:
    assert retransmit_schedule(10.0, 0.5) == [0.0, 0.5, 1.5, 3.5, 7.5]
    assert retransmit_schedule(20.0, 1.0, t2_s=4.0) == [0.0, 1.0, 3.0, 7.0, 11.0, 15.0, 19.0]


def test_it_sends_once_when_the_timeout_is_shorter_than_t1() -> None:
    assert retransmit_schedule(0.3, 0.5) == [0.0]


def test_it_formats_an_rfc3261_options_request() -> None:
    request = _request()
    lines = request.encode().decode().split("\r\n")
    assert lines[0] == "OPTIONS sip:ok@10.0.0.5:5060 SIP/2.0"
    assert f"Via: SIP/2.0/UDP 192.0.2.7:40123;branch={request.branch};rport" in lines
    assert request.branch.startswith("z9hG4bK")
    assert "Max-Forwards: 70" in lines
    assert f"From: <sip:faultdesk@192.0.2.7>;tag={request.from_tag}" in lines
    assert "To: <sip:ok@10.0.0.5:5060>" in lines
    assert f"Call-ID: {request.call_id}" in lines
    assert "CSeq: 1 OPTIONS" in lines
    assert "Contact: <sip:faultdesk@192.0.2.7:40123>" in lines
    assert "Accept: application/sdp" in lines
    assert lines[-3:] == ["Content-Length: 0", "", ""]


def test_it_marks_tcp_in_the_uri_and_via_and_brackets_ipv6() -> None:
    request = OptionsRequest.new("::1", 5070, "tcp", ("::1", 50000))
    text = request.encode().decode()
    assert text.startswith("OPTIONS sip:[::1]:5070;transport=tcp SIP/2.0\r\n")
    assert "Via: SIP/2.0/TCP [::1]:50000;branch=" in text
    assert "Contact: <sip:faultdesk@[::1]:50000;transport=tcp>" in text


def test_it_gives_every_request_fresh_identifiers() -> None:
    first, second = _request(), _request()
    assert len({first.call_id, second.call_id}) == 2
    assert len({first.branch, second.branch}) == 2
    assert len({first.from_tag, second.from_tag}) == 2


def test_it_parses_compact_and_folded_headers() -> None:
    response = parse_response(
        b"SIP/2.0 401 Unauthorized\r\nv: SIP/2.0/UDP a;branch=z9hG4bKx\r\n"
        b'WWW-Authenticate: Digest realm="x",\r\n nonce="y"\r\nl: 0\r\n\r\n'
    )
    assert response is not None
    assert (response.code, response.reason) == (401, "Unauthorized")
    assert response.header("Via") == "SIP/2.0/UDP a;branch=z9hG4bKx"
    assert response.header("www-authenticate") == 'Digest realm="x", nonce="y"'
    assert response.header("content-length") == "0"


def test_it_ignores_requests_and_garbage() -> None:
    assert parse_response(b"OPTIONS sip:x SIP/2.0\r\n\r\n") is None
    assert parse_response(b"\x00\xffnot sip") is None
    assert parse_response(b"SIP/2.0 2000 Huh\r\n\r\n") is None


def test_it_matches_responses_by_call_id_cseq_and_branch() -> None:
    request = _request()
    ours = parse_response(_reply_to(request))
    stray = parse_response(_reply_to(request, branch="z9hG4bKsomeoneelse"))
    assert ours is not None and stray is not None
    assert request.is_answered_by(ours)
    assert not request.is_answered_by(stray)
    assert not _request().is_answered_by(ours)


def test_it_frames_tcp_messages_by_content_length() -> None:
    body = b"SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nabcd"
    assert frame_message(b"\r\n\r\n" + body + b"SIP/2.0 1") == (body, b"SIP/2.0 1")
    assert frame_message(body[:-1]) is None
    assert frame_message(b"SIP/2.0 200 OK\r\nl: 0\r\n\r\nrest") == (
        b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n",
        b"rest",
    )


def test_it_refuses_an_unknown_transport() -> None:
    with pytest.raises(ValueError, match="transport"):
        options_ping("127.0.0.1", transport="sctp")


# --- against Kamailio -------------------------------------------------------------------------

integration = pytest.mark.integration
TRANSPORTS = pytest.mark.parametrize("transport", ["udp", "tcp"])


@integration
@TRANSPORTS
@pytest.mark.parametrize(
    ("user", "state", "code"),
    [("ok", "up", 200), ("auth", "up", 401), ("missing", "up", 404), ("busy", "degraded", 503)],
)
def test_it_reads_any_final_response_as_alive_and_5xx_as_degraded(
    kamailio: KamailioServer, transport: str, user: str, state: str, code: int
) -> None:
    ping = options_ping(
        kamailio.host,
        kamailio.port,
        transport=transport,
        uri_user=user,
        timeout_s=TIMEOUT_S,
        t1_s=T1_S,
    )
    assert (ping.state, ping.code, ping.error) == (state, code, None)
    assert ping.rtt_ms is not None and ping.rtt_ms >= 0


@integration
@TRANSPORTS
def test_it_waits_past_a_provisional_response(kamailio: KamailioServer, transport: str) -> None:
    ping = options_ping(kamailio.host, kamailio.port, transport=transport, uri_user="trying")
    assert (ping.state, ping.code, ping.reason) == ("up", 200, "OK")


@integration
@TRANSPORTS
def test_it_reports_down_when_nobody_answers(kamailio: KamailioServer, transport: str) -> None:
    ping = options_ping(
        kamailio.host,
        kamailio.port,
        transport=transport,
        uri_user="drop",
        timeout_s=TIMEOUT_S,
        t1_s=T1_S,
    )
    assert (ping.state, ping.code, ping.rtt_ms) == ("down", None, None)
    assert ping.error == "no final response within 1.5 s"


@integration
@TRANSPORTS
def test_it_reports_down_when_nothing_listens(transport: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))  # bound, never listening: TCP and UDP both refuse
        port = holder.getsockname()[1]
        ping = options_ping("127.0.0.1", port, transport=transport, timeout_s=TIMEOUT_S, t1_s=T1_S)
    assert ping.state == "down"
    assert ping.error is not None


def test_it_retransmits_the_same_request_over_udp_until_the_timeout() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent_peer:
        silent_peer.bind(("127.0.0.1", 0))
        port = silent_peer.getsockname()[1]
        ping = options_ping("127.0.0.1", port, timeout_s=TIMEOUT_S, t1_s=0.05)
        silent_peer.setblocking(False)
        received = []
        with contextlib.suppress(BlockingIOError):
            while True:
                received.append(silent_peer.recv(65535))
    assert ping.state == "down"
    assert len(received) >= 2  # the schedule asks for 5; a stalled machine may merge some
    assert len(set(received)) == 1  # a retransmission is the identical request


@integration
def test_it_collects_an_agent_report_entry(kamailio: KamailioServer) -> None:
    settings = SipSettings(host=kamailio.host, port=kamailio.port, timeout_s=1.5, uri_user="busy")
    result = collect(settings)
    assert result["status"] == "warning"
    assert result["error"] is None
    assert result["metrics"]["state"] == "degraded"
    assert result["metrics"]["code"] == 503
    assert result["metrics"]["reason"] == "Service Unavailable"
    assert result["metrics"]["transport"] == "udp"


@integration
def test_it_collects_critical_with_the_reason_when_down(kamailio: KamailioServer) -> None:
    settings = SipSettings(host=kamailio.host, port=kamailio.port, timeout_s=1.0, uri_user="drop")
    result = collect(settings)
    assert result["status"] == "critical"
    assert result["metrics"]["state"] == "down"
    assert result["error"] == "no final response within 1 s"
