"""AMI framing on plain text: messages cut from lines, actions written as bytes."""

from __future__ import annotations

from collections import deque

import pytest

from agent.probes.ami import AmiError
from agent.probes.ami.wire import ami_version, encode_action, read_message


class _TextLines:
    """Lines as ``LineReader`` hands them over (CRLF removed), from a string instead of a socket."""

    def __init__(self, text: str) -> None:
        self._lines = deque(text.split("\r\n"))

    def readline(self) -> str:
        return self._lines.popleft()

    def push_back(self, line: str) -> None:
        self._lines.appendleft(line)


def test_it_reads_the_ami_version_from_a_banner() -> None:
    assert ami_version("Asterisk Call Manager/9.0.0") == "9.0.0"
    assert ami_version("SSH-2.0-OpenSSH_9.6") is None


def test_it_reads_a_message_up_to_its_blank_line_skipping_blanks_and_stray_text() -> None:
    lines = _TextLines(
        "\r\n\r\nResponse: Success\r\nnot a header\r\nPing: Pong\r\n\r\nEvent: X\r\n\r\n"
    )
    assert read_message(lines).fields == (("Response", "Success"), ("Ping", "Pong"))
    assert read_message(lines).event == "X"


def test_it_reads_legacy_output_with_its_headers_and_without_the_end_marker() -> None:
    lines = _TextLines(
        "Response: Follows\r\nPrivilege: Command\r\nActionID: faultdesk-3\r\n"
        "Channel   State\nPJSIP/201  Up  \n1 active channel\n\n--END COMMAND--\r\n\r\n"
    )
    message = read_message(lines)
    assert message.action_id == "faultdesk-3"
    assert message.output() == ["Channel   State", "PJSIP/201  Up", "1 active channel"]


def test_it_finds_the_end_marker_on_the_last_line_of_legacy_output() -> None:
    lines = _TextLines("Response: Follows\r\nOutput: 1 active channel--END COMMAND--\r\n\r\n")
    assert read_message(lines).output() == ["1 active channel"]


def test_it_keeps_the_message_after_legacy_output_when_no_blank_line_separates_them() -> None:
    lines = _TextLines("Response: Follows\r\nok\r\n--END COMMAND--\r\nEvent: Next\r\n\r\n")
    assert read_message(lines).output() == ["ok"]
    assert read_message(lines).event == "Next"


def test_it_writes_an_action_with_its_id_and_a_closing_blank_line() -> None:
    data = encode_action("Login", "faultdesk-1", {"Username": "mon", "Events": "off"})
    assert data == (
        b"Action: Login\r\nActionID: faultdesk-1\r\nUsername: mon\r\nEvents: off\r\n\r\n"
    )


def test_it_refuses_a_value_that_would_inject_headers_without_echoing_it() -> None:
    with pytest.raises(AmiError, match="Secret value contains a line break") as raised:
        encode_action("Login", "faultdesk-1", {"Secret": "s3cret\r\nAction: Logoff"})
    assert "s3cret" not in str(raised.value)
