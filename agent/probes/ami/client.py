"""One AMI session: connect, log in, ask, log off.

Replies are told apart from unsolicited events (``FullyBooted`` right after login, call
events...) by the ``ActionID`` each action carries and Asterisk echoes on its response and on
every event of a list. Lists are answered ``EventList: start``, one event per item, then a
``…Complete`` event with ``EventList: Complete`` and (since Asterisk 13) ``ListItems``.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import socket
import time
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from agent.probes.ami.errors import AmiAuthError, AmiConnectionError, AmiError
from agent.probes.ami.lines import LineReader
from agent.probes.ami.message import AmiList, AmiMessage
from agent.probes.ami.wire import ami_version, encode_action, read_message

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Asterisk answers "No endpoints found" / "No Contacts found" instead of an empty list.
_EMPTY_LIST_MESSAGE = re.compile(r"^no\b.*\bfound\b", re.IGNORECASE)


def md5_key(challenge: str, secret: str) -> str:
    """The ``Key:`` of an MD5 login, as manager.c checks it: md5(challenge + secret)."""
    return hashlib.md5((challenge + secret).encode(), usedforsecurity=False).hexdigest()


class AmiClient:
    """One AMI session: ``connect()``, ``login()``, actions, then ``logoff()``/``close()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5038, timeout_s: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.ami_version: str | None = None
        self._sock: socket.socket | None = None
        self._reader: LineReader | None = None
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
        self._reader = LineReader(self._sock)
        banner = self._with_deadline(self._reader.readline)
        version = ami_version(banner)
        if version is None:
            raise AmiConnectionError(f"{where} is not an Asterisk manager port (got {banner!r})")
        self.ami_version = version
        return version

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
        data = encode_action(name, action_id, params)
        try:
            self._sock.settimeout(self.timeout_s)
            self._sock.sendall(data)
        except OSError as exc:
            raise AmiConnectionError(f"cannot send {name} to AMI: {exc}") from exc
        return action_id

    def _with_deadline(self, read: Callable[[], T]) -> T:
        """Run one read sequence with a fresh deadline: no single action waits forever."""
        if self._reader is None:
            raise AmiConnectionError("not connected to AMI")
        self._reader.deadline = time.monotonic() + self.timeout_s
        return read()

    def _read_message(self) -> AmiMessage:
        assert self._reader is not None
        return read_message(self._reader)

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


def _check_count(name: str, complete: AmiMessage, events: list[AmiMessage]) -> None:
    """Note when ``ListItems`` disagrees with the events (some lists interleave extra kinds)."""
    items = complete.get("ListItems")
    if items is not None and items.isascii() and items.isdigit() and int(items) != len(events):
        log.debug("%s announced %s items but sent %d events", name, items, len(events))
