"""The AMI client against a peer speaking Asterisk's wire protocol on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from agent.probes.ami import (
    AmiAuthError,
    AmiClient,
    AmiConnectionError,
    AmiError,
    AmiMessage,
    md5_key,
    parse_header_line,
)
from tests.support.ami_scenario import AmiScenario, Endpoint
from tests.support.ami_server import AmiTestServer, closed_port, running_ami_server

LISTING = "Channel              Location             State   Application(Data)\n"
CHANNELS = LISTING + "PJSIP/201-00000001   s@from-internal:1    Up      Dial(PJSIP/itsp)\n"


@pytest.fixture
def scenario() -> AmiScenario:
    return AmiScenario(
        endpoints=[Endpoint("201"), Endpoint("itsp", "Unavailable")],
        commands={"core show channels": CHANNELS + "\n1 active channel\n"},
    )


@pytest.fixture
def pbx(scenario: AmiScenario) -> Iterator[AmiTestServer]:
    with running_ami_server(scenario) as server:
        yield server


@pytest.fixture
def client(pbx: AmiTestServer) -> Iterator[AmiClient]:
    with AmiClient("127.0.0.1", pbx.port, timeout_s=5.0) as ami:
        yield ami


def login(client: AmiClient, scenario: AmiScenario) -> str:
    client.connect()
    return client.login(scenario.username, scenario.secret)


def sent(pbx: AmiTestServer, action: str) -> dict[str, str]:
    return next(dict(m) for m in pbx.received if dict(m).get("Action") == action)


def test_it_reads_the_ami_version_from_the_banner(client: AmiClient) -> None:
    assert client.connect() == "5.0.4"


def test_it_logs_in_with_an_md5_challenge(
    client: AmiClient, pbx: AmiTestServer, scenario: AmiScenario
) -> None:
    assert login(client, scenario) == "md5"
    request = sent(pbx, "Login")
    challenge = next(dict(m) for m in pbx.received if dict(m).get("Action") == "Challenge")
    assert challenge["AuthType"] == "MD5"
    assert request["AuthType"] == "MD5"
    assert request["Key"] == md5_key("584631790", scenario.secret)
    assert "Secret" not in request  # the secret never crosses the wire in MD5 mode
    assert request["Events"] == "off"


def test_it_falls_back_to_plaintext_when_the_challenge_is_refused(
    client: AmiClient, pbx: AmiTestServer, scenario: AmiScenario
) -> None:
    scenario.md5_challenge = False
    assert login(client, scenario) == "plaintext"
    assert sent(pbx, "Login")["Secret"] == scenario.secret
    assert client.action("Ping").get("Ping") == "Pong"


def test_it_raises_a_clear_auth_error_for_bad_credentials(
    client: AmiClient, scenario: AmiScenario
) -> None:
    client.connect()
    with pytest.raises(AmiAuthError) as raised:
        client.login(scenario.username, "wrong-secret")
    assert "Authentication failed" in raised.value.message
    assert "faultdesk" in raised.value.message
    assert "wrong-secret" not in raised.value.message
    # Asterisk tears the session down after a failed login.
    with pytest.raises(AmiConnectionError, match="closed"):
        client.action("Ping")


def test_it_explains_a_refused_connection() -> None:
    refused = pytest.raises(AmiConnectionError, match="refused the connection")
    with AmiClient("127.0.0.1", closed_port(), timeout_s=2.0) as ami, refused as raised:
        ami.connect()
    assert "Asterisk running" in raised.value.message


def test_it_refuses_a_port_that_does_not_speak_ami() -> None:
    not_ami = pytest.raises(AmiConnectionError, match="not an Asterisk manager port")
    with (
        _raw_peer(b"SSH-2.0-OpenSSH_9.2\r\n") as port,
        AmiClient("127.0.0.1", port, 2.0) as ami,
        not_ami,
    ):
        ami.connect()


def test_it_times_out_when_asterisk_stops_answering() -> None:
    banner = b"Asterisk Call Manager/5.0.4\r\n"
    with _raw_peer(banner) as port, AmiClient("127.0.0.1", port, timeout_s=0.3) as ami:
        ami.connect()
        with pytest.raises(AmiConnectionError, match="timed out"):
            ami.action("Ping")


def test_it_skips_unsolicited_events_and_matches_by_action_id(
    client: AmiClient, scenario: AmiScenario
) -> None:
    login(client, scenario)  # FullyBooted and Newchannel events arrive unasked
    response = client.action("CoreSettings")
    assert response.get("AsteriskVersion") == "18.20.0"
    assert response.action_id is not None and response.action_id.startswith("faultdesk-")


def test_it_gathers_an_event_list_up_to_its_complete_event(
    client: AmiClient, scenario: AmiScenario
) -> None:
    login(client, scenario)
    answer = client.list_action("PJSIPShowEndpoints")
    assert [e.get("ObjectName") for e in answer.items("EndpointList")] == ["201", "itsp"]
    assert answer.complete is not None
    assert answer.complete.event == "EndpointListComplete"
    assert answer.complete.get("ListItems") == "2"


def test_it_treats_no_endpoints_found_as_an_empty_list(
    client: AmiClient, scenario: AmiScenario
) -> None:
    scenario.endpoints = []
    login(client, scenario)
    answer = client.list_action("PJSIPShowEndpoints")
    assert answer.events == []
    assert answer.response.message == "No endpoints found"  # Asterisk's stray "\n" is gone


def test_it_raises_asterisks_message_for_an_error_response(
    client: AmiClient, scenario: AmiScenario
) -> None:
    scenario.denied = {"CoreStatus"}
    login(client, scenario)
    with pytest.raises(AmiError, match="Permission denied"):
        client.action("CoreStatus")
    assert client.action("Ping").get("Ping") == "Pong"  # the session carries on


def test_it_reads_command_output_sent_as_repeated_output_keys(
    client: AmiClient, scenario: AmiScenario
) -> None:
    login(client, scenario)
    lines = client.command("core show channels")
    assert lines[1] == "PJSIP/201-00000001   s@from-internal:1    Up      Dial(PJSIP/itsp)"
    assert lines[-2:] == ["", "1 active channel"]


def test_it_reads_legacy_command_output_ended_by_end_command(
    client: AmiClient, scenario: AmiScenario
) -> None:
    scenario.legacy_command = True
    login(client, scenario)
    lines = client.command("core show channels")
    assert lines == [*CHANNELS.splitlines(), "", "1 active channel"]
    assert client.action("Ping").get("Ping") == "Pong"  # framing recovered after the raw text


@pytest.mark.parametrize("legacy", [False, True])
def test_it_raises_for_an_unknown_cli_command(
    client: AmiClient, scenario: AmiScenario, legacy: bool
) -> None:
    scenario.legacy_command = legacy
    login(client, scenario)
    if legacy:  # before Asterisk 14 the error is only in the text
        assert client.command("no such thing") == ["No such command 'no such thing'"]
    else:
        with pytest.raises(AmiError, match="No such command 'no such thing'"):
            client.command("no such thing")


def test_it_logs_off_politely(client: AmiClient, pbx: AmiTestServer, scenario: AmiScenario) -> None:
    login(client, scenario)
    client.logoff()
    assert pbx.actions()[-1] == "Logoff"


def test_it_keeps_repeated_keys_in_order() -> None:
    message = AmiMessage((("Event", "EndpointList"), ("Contacts", "a"), ("contacts", "b")))
    assert message.get("CONTACTS") == "a"
    assert message.get_all("Contacts") == ["a", "b"]
    assert "event" in message
    assert message.as_dict() == {"Event": "EndpointList", "Contacts": "a", "contacts": "b"}


def test_it_keeps_the_alignment_of_output_lines() -> None:
    assert parse_header_line("Output:   indented  ") == ("Output", "  indented")
    assert parse_header_line("Message: No endpoints found\n") == ("Message", "No endpoints found")
    assert parse_header_line("1 active channel") is None


class _raw_peer:
    """A TCP peer that sends ``greeting`` and then says nothing until the client leaves."""

    def __init__(self, greeting: bytes) -> None:
        self.greeting = greeting
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)  # never hang the suite if the client never comes
        self.thread = threading.Thread(target=self._serve)

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.sendall(self.greeting)
            conn.settimeout(10)
            while conn.recv(4096):
                pass

    def __enter__(self) -> int:
        self.thread.start()
        return int(self.listener.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.thread.join()
        self.listener.close()
