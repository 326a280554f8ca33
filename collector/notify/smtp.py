"""Delivering one email through the vendor's SMTP relay."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from collector.config.settings import SmtpSettings


class DeliveryError(Exception):
    """A failed delivery; ``permanent`` says whether trying again can help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmtpTransport:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._password = (
            Path(settings.password_file).read_text().strip() if settings.password_file else None
        )

    async def send(self, message: EmailMessage) -> None:
        s = self._settings
        # The envelope names the To address alone: whatever the headers held, nobody else
        # can be sent a copy.
        sender = message["From"].addresses[0].addr_spec
        recipients = [address.addr_spec for address in message["To"].addresses]
        # Flattened here under the message's own policy (compose.py chooses its folding),
        # not under the one aiosmtplib would apply.
        data = message.as_bytes()
        try:
            await aiosmtplib.send(
                data,
                sender=sender,
                recipients=recipients,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=self._password,
                start_tls=s.starttls,
                use_tls=s.use_tls,
                timeout=s.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc}", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is the relay saying "never"; 4xx is "not now".
            raise DeliveryError(f"{exc.code} {exc.message}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
