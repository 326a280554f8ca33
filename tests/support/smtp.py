"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, for tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.processes import free_port


@dataclass
class Inbox:
    """Messages received, in order; ``wait_for`` polls until one matches. ``envelopes`` holds
    each message's envelope recipients (RCPT TO) and ``raw`` its bytes as they came."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append(list(envelope.rcpt_tos))
        self.raw.append(bytes(envelope.content))
        return "250 OK"

    def matching(self, to: str, subject_starts: str) -> list[EmailMessage]:
        return [
            m
            for m in self.messages
            if m["To"] == to and str(m["Subject"]).startswith(subject_starts)
        ]

    async def wait_for(self, to: str, subject_starts: str, timeout_s: float = 30.0) -> EmailMessage:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            found = self.matching(to, subject_starts)
            if found:
                return found[-1]
            await asyncio.sleep(0.1)
        seen = [(m["To"], m["Subject"]) for m in self.messages]
        raise AssertionError(f"no mail to {to} starting {subject_starts!r}; got {seen}")


@contextmanager
def smtp_server(inbox: Inbox | None = None) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on 127.0.0.1 in its own thread, keeping mail in ``inbox`` (a new one by
    default); yields the inbox and the port."""
    inbox = inbox or Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
