"""The AMI wire format: cutting messages out of a stream of lines, and writing actions.

As Asterisk's ``main/manager.c`` writes it:

* a one-line banner ``Asterisk Call Manager/<AMI version>`` on connect;
* messages of ``Key: Value`` lines ended by CRLF, a blank line ending each message;
* ``Command`` answered either with repeated ``Output:`` keys (Asterisk 14+) or, before that,
  ``Response: Follows`` then raw CLI text ended by ``--END COMMAND--``.

Nothing here touches a socket: lines come from anything with ``readline``/``push_back``, so
the framing can be checked on plain text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from agent.probes.ami.errors import AmiError
from agent.probes.ami.message import AmiMessage

log = logging.getLogger(__name__)

BANNER_MARK = "Call Manager/"
END_COMMAND = "--END COMMAND--"
#: Keys that can precede the raw text of a legacy ``Response: Follows`` command answer.
_FOLLOWS_HEADERS = frozenset({"privilege", "actionid", "message"})


class Lines(Protocol):
    """A source of decoded lines without their CRLF (``LineReader`` on a socket)."""

    def readline(self) -> str: ...

    def push_back(self, line: str) -> None: ...


def ami_version(banner: str) -> str | None:
    """The protocol version from the connect banner; None when the peer is not AMI."""
    if BANNER_MARK not in banner:
        return None
    return banner.rsplit("/", 1)[1].strip()


def parse_header_line(line: str) -> tuple[str, str] | None:
    """Split ``Key: Value``; ``None`` for a line that is not a header."""
    key, sep, value = line.partition(":")
    if not sep or not key or " " in key.strip():
        return None
    value = value[1:] if value.startswith(" ") else value
    # Output lines keep their leading spaces: CLI tables are aligned with them.
    return key.strip(), value.rstrip() if key.strip().lower() == "output" else value.strip()


def encode_action(name: str, action_id: str, params: Mapping[str, str] | None = None) -> bytes:
    """One action as it goes on the wire; a value with a line break is refused, not sent."""
    lines = [f"Action: {name}", f"ActionID: {action_id}"]
    for key, value in (params or {}).items():
        if "\r" in value or "\n" in value:  # would inject headers; the value may be a secret
            raise AmiError(f"{name}: the {key} value contains a line break")
        lines.append(f"{key}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_message(lines: Lines) -> AmiMessage:
    """The next message, skipping blank lines between messages and stray non-header text."""
    fields: list[tuple[str, str]] = []
    while True:
        line = lines.readline()
        if not line:
            if fields:
                return AmiMessage(tuple(fields))
            continue  # blank lines between messages
        pair = parse_header_line(line)
        if pair is None:
            if line.strip() != END_COMMAND:
                log.debug("ignoring a non-header AMI line")
            continue
        fields.append(pair)
        if pair[0].lower() == "response" and pair[1].lower() == "follows":
            return _read_follows(lines, fields)


def _read_follows(lines: Lines, fields: list[tuple[str, str]]) -> AmiMessage:
    """Legacy command answer: a few headers, raw CLI text, then ``--END COMMAND--``."""
    text: list[str] = []
    while True:
        line = lines.readline()
        pair = parse_header_line(line) if not text else None
        if pair is not None and pair[0].lower() in _FOLLOWS_HEADERS:
            fields.append(pair)
            continue
        line = line.removeprefix("Output: ")
        end = line.find(END_COMMAND)
        if end >= 0:
            text.append(line[:end])
            break
        text.append(line)
    blank = lines.readline()
    if blank:
        lines.push_back(blank)
    output = "\n".join(text).splitlines()
    while output and not output[-1].strip():
        output.pop()
    return AmiMessage(tuple(fields), tuple(line.rstrip() for line in output))
