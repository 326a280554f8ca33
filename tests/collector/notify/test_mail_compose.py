"""An outbox row becomes an email whose headers nothing in the row can break."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from collector.notify.compose import (
    FALLBACK_DOMAIN,
    UnsendableMessage,
    message_id,
    message_id_domain,
    to_email,
)
from collector.notify.outbox import OutgoingMessage

CREATED = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
DOMAIN = "collector.vendor.example"
SENDER = "Faultdesk <faultdesk@vendor.example>"
ROW = OutgoingMessage(
    id=7,
    kind="fault_opened",
    recipient="jo@acme.example",
    subject="MAJOR: Acme / pbx1: Disk space /var",
    body="Faultdesk has found a fault.\n",
    attempts=1,
    fault_id=3,
    created_at=CREATED,
)
INJECTED = "nginx\r\nBcc: attacker@evil.example"


def _wire(row: OutgoingMessage) -> bytes:
    return to_email(row, sender=SENDER, domain=DOMAIN).as_bytes()


def _header_lines(wire: bytes) -> list[bytes]:
    return wire.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def test_it_gives_one_row_the_same_message_id_on_every_attempt() -> None:
    first = to_email(ROW, sender=SENDER, domain=DOMAIN)
    again = to_email(replace(ROW, attempts=2), sender=SENDER, domain=DOMAIN)
    expected = f"<outbox-7.{int(CREATED.timestamp())}@{DOMAIN}>"
    assert first["Message-ID"] == again["Message-ID"] == expected
    assert message_id(8, CREATED, DOMAIN) != expected
    # Row 7 of a database restored or started afresh is another message, with another id.
    assert message_id(7, CREATED + timedelta(days=1), DOMAIN) != expected


def test_it_takes_the_message_id_domain_from_the_config_else_the_public_url() -> None:
    assert message_id_domain("mail.vendor.example", "https://fd.vendor.example") == (
        "mail.vendor.example"
    )
    assert message_id_domain(None, "https://fd.vendor.example:8443/x") == "fd.vendor.example"
    assert message_id_domain(None, "http://[::1]:8080") == FALLBACK_DOMAIN


def test_it_keeps_a_subject_with_line_breaks_on_its_own_header() -> None:
    wire = _wire(replace(ROW, subject=f"CRITICAL: Acme / pbx1: Process {INJECTED} not running"))
    assert not any(line.startswith(b"Bcc:") for line in _header_lines(wire))
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == (
        "CRITICAL: Acme / pbx1: Process nginx\\r\\nBcc: attacker@evil.example not running"
    )


def test_it_folds_a_long_subject_and_reads_back_the_same() -> None:
    host = "-".join(["pbx", "paris", "rack"] * 12)
    subject = f"CRITICAL: Société Générale / {host}: Process asterisk not running"
    wire = _wire(replace(ROW, subject=subject))
    assert all(len(line) <= 78 for line in _header_lines(wire))
    assert email.message_from_bytes(wire, policy=email.policy.default)["Subject"] == subject


def test_it_refuses_a_recipient_that_is_not_one_address() -> None:
    for recipient in (
        f"jo@acme.example{INJECTED}",
        "jo@acme.example, attacker@evil.example",
        "jo@acme.example,attacker",
        "nobody",
        "",
    ):
        with pytest.raises(UnsendableMessage, match="is not one email address") as refused:
            to_email(replace(ROW, recipient=recipient), sender=SENDER, domain=DOMAIN)
        assert "\n" not in str(refused.value) and "\r" not in str(refused.value)


def test_it_keeps_a_subject_just_over_a_line_from_starting_with_a_space() -> None:
    for length in range(60, 100):
        subject = ("RESOLVED: Acme / pbx1: sshd is running again " + "x" * 100)[:length]
        parsed = email.message_from_bytes(
            _wire(replace(ROW, subject=subject)), policy=email.policy.default
        )
        assert parsed["Subject"] == subject
