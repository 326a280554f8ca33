"""The agent's parsers of what a PBX sends (AMI lines, SIP responses and TCP framing) take
any input: a result or their own refusal, never another exception."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.probes.ami.errors import AmiConnectionError, AmiError
from agent.probes.ami.message import AmiMessage
from agent.probes.ami.wire import parse_header_line, read_message
from agent.probes.asterisk.fields import count_channels
from agent.sip import SipResponse, frame_message, parse_response

FUZZ = settings(max_examples=300, deadline=None)
KEY = st.text(st.characters(codec="ascii", exclude_characters=": \r\n"), min_size=1, max_size=12)
VALUE = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=30)


class ScriptedLines:
    """Lines as the socket reader gives them; the end of the script is the peer hanging up."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = deque(lines)

    def readline(self) -> str:
        if not self._lines:
            raise AmiConnectionError("Asterisk closed the AMI connection")
        return self._lines.popleft()

    def push_back(self, line: str) -> None:
        self._lines.appendleft(line)


@FUZZ
@given(st.lists(st.text(st.characters(exclude_characters="\r\n"), max_size=40), max_size=30))
def test_it_reads_any_ami_lines_as_messages_or_a_closed_connection(lines: list[str]) -> None:
    source = ScriptedLines(lines)
    try:
        while True:
            assert isinstance(read_message(source), AmiMessage)
    except AmiError:
        pass


@FUZZ
@given(st.lists(st.tuples(KEY, VALUE), min_size=1, max_size=10))
def test_it_reads_back_the_fields_of_a_well_formed_ami_message(
    fields: list[tuple[str, str]],
) -> None:
    fields = [(k, v) for k, v in fields if not (k.lower() == "response" and "follows" in v.lower())]
    if not fields:
        return
    message = read_message(ScriptedLines([f"{k}: {v}" for k, v in fields] + [""]))
    expected = [parse_header_line(f"{k}: {v}") for k, v in fields]
    assert list(message.fields) == expected


@FUZZ
@given(st.binary(max_size=400))
def test_it_parses_any_datagram_as_a_response_or_nothing(data: bytes) -> None:
    parsed = parse_response(data)
    assert parsed is None or (isinstance(parsed, SipResponse) and 100 <= parsed.code <= 999)


@pytest.mark.parametrize("code", ["²²²", "٢٠٠", "\uff12\uff10\uff10"])  # the last: fullwidth
def test_it_ignores_a_status_code_in_other_digits(code: str) -> None:
    assert parse_response(f"SIP/2.0 {code} OK\r\n\r\n".encode()) is None


@FUZZ
@given(st.binary(max_size=400))
def test_it_frames_any_stream_as_a_message_and_the_rest_or_nothing(data: bytes) -> None:
    framed = frame_message(data)
    if framed is not None:
        message, rest = framed
        assert message + rest == data.lstrip(b"\r\n")


@FUZZ
@given(
    st.integers(100, 699),
    st.binary(max_size=200),
    st.binary(max_size=50).filter(lambda b: not b.startswith((b"\r", b"\n"))),
)
def test_it_frames_a_whole_message_off_any_following_bytes(
    code: int, body: bytes, rest: bytes
) -> None:
    message = b"SIP/2.0 %d OK\r\nContent-Length: %d\r\n\r\n%s" % (code, len(body), body)
    assert frame_message(message + rest) == (message, rest)
    parsed = parse_response(message)
    assert parsed is not None and parsed.code == code


@pytest.mark.parametrize("value", ["²", "٣", "\uff11\uff12"])  # the last: fullwidth
def test_it_counts_channels_written_in_other_digits_as_a_list(value: str) -> None:
    assert count_channels(value) == 1


@FUZZ
@given(st.text(max_size=30))
def test_it_counts_any_active_channels_value(value: str) -> None:
    assert count_channels(value) >= 0
