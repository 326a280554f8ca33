"""A small synchronous Asterisk Manager Interface (AMI) client over a plain TCP socket.

Standard library only: it runs on customer PBXs. It speaks the wire protocol as Asterisk's
``main/manager.c`` writes it:

* a one-line banner ``Asterisk Call Manager/<AMI version>`` on connect;
* messages of ``Key: Value`` lines ended by CRLF, a blank line ending each message; keys may
  repeat (``Output:``, ``Contacts:``), so a message is an ordered list of pairs;
* ``ActionID`` echoed on the response and on every event of a list, which is how replies are
  told apart from unsolicited events (``FullyBooted`` right after login, call events...);
* lists answered ``EventList: start`` … one event per item … a ``…Complete`` event with
  ``EventList: Complete`` and (since Asterisk 13) ``ListItems``;
* ``Command`` answered either with repeated ``Output:`` keys (Asterisk 14+) or, before that,
  ``Response: Follows`` then raw CLI text ended by ``--END COMMAND--``.

Errors: ``AmiError`` is a ``Response: Error`` (``.message`` holds Asterisk's text);
``AmiAuthError(AmiError)`` a refused login (Asterisk then closes the socket);
``AmiConnectionError(AmiError)`` no usable connection: refused, timed out, closed, not AMI.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

BANNER_MARK = "Call Manager/"
END_COMMAND = "--END COMMAND--"
#: Keys that can precede the raw text of a legacy ``Response: Follows`` command answer.
_FOLLOWS_HEADERS = frozenset({"privilege", "actionid", "message"})
#: Asterisk answers "No endpoints found" / "No Contacts found" instead of an empty list.
_EMPTY_LIST_MESSAGE = re.compile(r"^no\b.*\bfound\b", re.IGNORECASE)
_RECV_BYTES = 65536
_MAX_LINE_BYTES = 1024 * 1024


class AmiError(Exception):
    """Asterisk answered ``Response: Error``; ``message`` is its ``Message:`` text."""

    def __init__(self, message: str, response: AmiMessage | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.response = response


class AmiAuthError(AmiError):
    """The manager user or its secret was refused."""


class AmiConnectionError(AmiError):
    """No usable AMI connection: refused, timed out, closed early, or not an AMI server."""


@dataclass(frozen=True)
class AmiMessage:
    """One AMI message: ordered ``(key, value)`` pairs plus raw legacy command output."""

    fields: tuple[tuple[str, str], ...]
    raw_output: tuple[str, ...] = ()

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of ``key`` (AMI keys are case-insensitive, as in manager.c)."""
        wanted = key.lower()
        return next((v for k, v in self.fields if k.lower() == wanted), default)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated key, in order."""
        wanted = key.lower()
        return [v for k, v in self.fields if k.lower() == wanted]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    @property
    def response(self) -> str | None:
        return self.get("Response")

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def message(self) -> str:
        return self.get("Message") or ""

    @property
    def is_error(self) -> bool:
        return (self.response or "").lower() == "error"

    def output(self) -> list[str]:
        """Command output lines, whichever of the two forms Asterisk used."""
        return list(self.raw_output) if self.raw_output else self.get_all("Output")

    def as_dict(self) -> dict[str, str]:
        """Keys to their first value: convenient where no key repeats."""
        result: dict[str, str] = {}
        for key, value in self.fields:
            result.setdefault(key, value)
        return result


@dataclass(frozen=True)
class AmiList:
    """The answer to a list action: the response, the item events and the closing event."""

    response: AmiMessage
    events: list[AmiMessage] = field(default_factory=list)
    complete: AmiMessage | None = None

    def items(self, event_name: str) -> list[AmiMessage]:
        """The events of one kind (some lists interleave others, e.g. ``AuthDetail``)."""
        wanted = event_name.lower()
        return [e for e in self.events if (e.event or "").lower() == wanted]


def md5_key(challenge: str, secret: str) -> str:
    """The ``Key:`` of an MD5 login, as manager.c checks it: md5(challenge + secret)."""
    return hashlib.md5((challenge + secret).encode(), usedforsecurity=False).hexdigest()


def parse_header_line(line: str) -> tuple[str, str] | None:
    """Split ``Key: Value``; ``None`` for a line that is not a header."""
    key, sep, value = line.partition(":")
    if not sep or not key or " " in key.strip():
        return None
    value = value[1:] if value.startswith(" ") else value
    # Output lines keep their leading spaces: CLI tables are aligned with them.
    return key.strip(), value.rstrip() if key.strip().lower() == "output" else value.strip()


class _LineReader:
    """CRLF-terminated lines from a socket, with a deadline and a one-line push-back."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""
        self._pushed: deque[str] = deque()
        self.deadline = time.monotonic()

    def push_back(self, line: str) -> None:
        self._pushed.appendleft(line)

    def readline(self) -> str:
        if self._pushed:
            return self._pushed.popleft()
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > _MAX_LINE_BYTES:
                raise AmiConnectionError("AMI sent a line longer than 1 MiB")
            self._buffer += self._recv()
        raw, _, self._buffer = self._buffer.partition(b"\r\n")
        return raw.decode("utf-8", errors="replace")

    def _recv(self) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise AmiConnectionError("timed out waiting for Asterisk")
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(_RECV_BYTES)
        except TimeoutError as exc:
            raise AmiConnectionError("timed out waiting for Asterisk") from exc
        except OSError as exc:
            raise AmiConnectionError(f"AMI connection failed: {exc.strerror or exc}") from exc
        if not chunk:
            raise AmiConnectionError("Asterisk closed the AMI connection")
        return chunk


class AmiClient:
    """One AMI session: ``connect()``, ``login()``, actions, then ``logoff()``/``close()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5038, timeout_s: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.ami_version: str | None = None
        self._sock: socket.socket | None = None
        self._reader: _LineReader | None = None
        self._ids = itertools.count(1)

    def __enter__(self) -> AmiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def connect(self) -> str:
        """Open the socket and read the banner; return the AMI protocol version."""
        where = f"{self.host}:{self.port}"
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except ConnectionRefusedError as exc:
            raise AmiConnectionError(
                f"AMI at {where} refused the connection: is Asterisk running with the "
                "manager enabled (manager.conf)?"
            ) from exc
        except TimeoutError as exc:
            raise AmiConnectionError(f"AMI at {where} did not answer the connection") from exc
        except OSError as exc:
            raise AmiConnectionError(f"cannot connect to AMI at {where}: {exc}") from exc
        self._reader = _LineReader(self._sock)
        banner = self._with_deadline(self._reader.readline)
        if BANNER_MARK not in banner:
            raise AmiConnectionError(f"{where} is not an Asterisk manager port (got {banner!r})")
        self.ami_version = banner.rsplit("/", 1)[1].strip()
        return self.ami_version

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def login(self, username: str, secret: str) -> str:
        """Log in by MD5 challenge, or plaintext if the server refuses challenges.

        Returns ``"md5"`` or ``"plaintext"``. Events are switched off for the session: a
        monitoring probe asks for what it needs and must not wade through a busy PBX's calls.
        """
        try:
            challenge = self.action("Challenge", {"AuthType": "MD5"}).get("Challenge")
        except AmiConnectionError:
            raise
        except AmiError as exc:
            log.info("AMI refused the MD5 challenge (%s); logging in with plaintext", exc.message)
            challenge = None
        if challenge:
            key = md5_key(challenge, secret)
            self._login(username, {"AuthType": "MD5", "Key": key})
            return "md5"
        self._login(username, {"Secret": secret})
        return "plaintext"

    def _login(self, username: str, credentials: dict[str, str]) -> None:
        params = {"Username": username, **credentials, "Events": "off"}
        try:
            self.action("Login", params)
        except AmiConnectionError:
            raise
        except AmiError as exc:
            raise AmiAuthError(
                f"AMI login refused for user {username!r}: {exc.message or 'no reason given'}"
                " (check the user and secret in manager.conf, and its permit/deny ACL)",
                exc.response,
            ) from exc

    def logoff(self) -> None:
        """Say goodbye politely; a PBX that already hung up is not an error here."""
        try:
            self.action("Logoff")
        except AmiError as exc:
            log.debug("AMI logoff: %s", exc.message)

    def action(self, name: str, params: dict[str, str] | None = None) -> AmiMessage:
        """Send one action and return its response; ``Response: Error`` raises AmiError."""
        action_id = self.send(name, params)
        response = self._with_deadline(lambda: self._read_response(action_id))
        if response.is_error:
            raise AmiError(response.message or f"{name} failed", response)
        return response

    def list_action(self, name: str, params: dict[str, str] | None = None) -> AmiList:
        """Send a list action and gather its events up to the ``EventList: Complete`` one.

        An error saying nothing was found ("No endpoints found", "No Contacts found") is an
        empty list: that is how Asterisk reports an empty list for several actions.
        """
        action_id = self.send(name, params)
        return self._with_deadline(lambda: self._read_list(name, action_id))

    def command(self, command: str) -> list[str]:
        """Run a CLI command; return its output lines (both wire forms handled)."""
        action_id = self.send("Command", {"Command": command})
        response = self._with_deadline(lambda: self._read_response(action_id))
        if response.is_error:
            detail = "; ".join(line for line in response.output() if line.strip())
            raise AmiError(detail or response.message or "Command failed", response)
        return response.output()

    def send(self, name: str, params: dict[str, str] | None = None) -> str:
        """Write an action; return the ActionID its answers will carry."""
        if self._sock is None:
            raise AmiConnectionError("not connected to AMI")
        action_id = f"faultdesk-{next(self._ids)}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        for key, value in (params or {}).items():
            if "\r" in value or "\n" in value:  # would inject headers; the value may be a secret
                raise AmiError(f"{name}: the {key} value contains a line break")
            lines.append(f"{key}: {value}")
        try:
            self._sock.settimeout(self.timeout_s)
            self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        except OSError as exc:
            raise AmiConnectionError(f"cannot send {name} to AMI: {exc}") from exc
        return action_id

    def _with_deadline(self, read: Callable[[], T]) -> T:
        """Run one read sequence with a fresh deadline: no single action waits forever."""
        if self._reader is None:
            raise AmiConnectionError("not connected to AMI")
        self._reader.deadline = time.monotonic() + self.timeout_s
        return read()

    def _read_response(self, action_id: str) -> AmiMessage:
        while True:
            message = self._read_message()
            if message.action_id == action_id and message.event is None:
                return message
            log.debug("skipping AMI message not ours: %s", message.event or message.response)

    def _read_list(self, name: str, action_id: str) -> AmiList:
        response = self._read_response(action_id)
        if response.is_error:
            if _EMPTY_LIST_MESSAGE.match(response.message):
                return AmiList(response)
            raise AmiError(response.message or f"{name} failed", response)
        if (response.get("EventList") or "").lower() != "start":
            return AmiList(response)
        events: list[AmiMessage] = []
        while True:
            message = self._read_message()
            if message.action_id != action_id:
                continue
            if (message.get("EventList") or "").lower() == "complete":
                _check_count(name, message, events)
                return AmiList(response, events, message)
            events.append(message)

    def _read_message(self) -> AmiMessage:
        assert self._reader is not None
        fields: list[tuple[str, str]] = []
        while True:
            line = self._reader.readline()
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
                return self._read_follows(fields)

    def _read_follows(self, fields: list[tuple[str, str]]) -> AmiMessage:
        """Legacy command answer: a few headers, raw CLI text, then ``--END COMMAND--``."""
        assert self._reader is not None
        text: list[str] = []
        while True:
            line = self._reader.readline()
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
        blank = self._reader.readline()
        if blank:
            self._reader.push_back(blank)
        lines = "\n".join(text).splitlines()
        while lines and not lines[-1].strip():
            lines.pop()
        return AmiMessage(tuple(fields), tuple(line.rstrip() for line in lines))


def _check_count(name: str, complete: AmiMessage, events: list[AmiMessage]) -> None:
    """Note when ``ListItems`` disagrees with the events (some lists interleave extra kinds)."""
    items = complete.get("ListItems")
    if items is not None and items.isdigit() and int(items) != len(events):
        log.debug("%s announced %s items but sent %d events", name, items, len(events))
