"""Time-based one-time codes (RFC 6238, pyotp) for operators who turn on a second factor."""

from __future__ import annotations

from datetime import datetime

import pyotp

ISSUER = "Faultdesk"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def code_matches(secret: str, code: object, now: datetime) -> bool:
    """The code is the current one, or the one just before or after (clock drift)."""
    if not isinstance(code, str):
        return False
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return False
    return bool(pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1))


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator shows at ``now`` (tests and the CLI's check)."""
    return pyotp.TOTP(secret).at(now)
