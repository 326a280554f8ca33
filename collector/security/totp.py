"""Time-based one-time codes (RFC 6238, pyotp) for operators who turn on a second factor."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

ISSUER = "Faultdesk"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def matching_step(secret: str, code: object, now: datetime) -> int | None:
    """The time step (30 s counter) whose code this is: the current one, or the one just before
    or after (clock drift); None when it is none of them.

    The step is what makes a code single use: the caller accepts a step only when it is later
    than the last one the account used (``collector.store.operators.claim_totp_step``), so a
    code seen over a shoulder or in a proxy log cannot sign in a second time.
    """
    if not isinstance(code, str):
        return None
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator shows at ``now`` (tests and the CLI's check)."""
    return pyotp.TOTP(secret).at(now)
