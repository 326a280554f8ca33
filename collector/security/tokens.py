"""Every signed token the collector hands out, one purpose each, signed by itsdangerous.

A token is a JSON claim signed with the collector's secret and its purpose as the salt, so a
token minted for one purpose never verifies as another: a customer's acknowledgement link
cannot stop paging, a page link cannot acknowledge a fault, neither passes as a session.
Nothing is stored: a forged or altered token fails its signature. Expiry is a field of the
claim, checked against the caller's clock (the collector's clock is injected everywhere).

    InvalidToken            malformed, forged, or signed for another purpose
     └─ ExpiredToken        genuine, but past its expiry
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from itsdangerous.signer import Signer

_EXPIRES = "x"

#: What every token looks like: the claim (a leading dot when compressed), a dot, and the
#: HMAC-SHA256 signature, all base64url without padding. The OpenAPI document states it.
TOKEN_PATTERN = r"^\.?[A-Za-z0-9_-]{1,4000}\.[A-Za-z0-9_-]{43}$"
_TOKEN = re.compile(TOKEN_PATTERN)


def well_formed(token: str) -> bool:
    """Whether ``token`` has a token's shape (it may still be forged, altered or expired)."""
    return _TOKEN.fullmatch(token) is not None


class Purpose(StrEnum):
    ACK_LINK = "faultdesk.ack-link"
    PAGE_LINK = "faultdesk.page-link"
    SESSION = "faultdesk.session"
    ACK_FORM = "faultdesk.ack-form"
    PAGE_ACK_FORM = "faultdesk.page-ack-form"


class InvalidToken(ValueError):
    """The token is malformed, forged, altered, or was signed for another purpose."""


class ExpiredToken(InvalidToken):
    """The token is genuine but past its expiry; ``claim`` says what it was for."""

    def __init__(self, claim: dict[str, Any]) -> None:
        super().__init__("expired")
        self.claim = claim


@lru_cache(maxsize=16)
def _serializer(secret: str, purpose: Purpose) -> tuple[URLSafeSerializer, Signer]:
    """The serializer of ``purpose`` and its signer, made once per secret and purpose: every
    fault mail signs a link for each recipient, and making them costs more than signing.
    Neither keeps any state between uses."""
    serializer = URLSafeSerializer(
        secret, salt=purpose.value, signer_kwargs={"digest_method": hashlib.sha256}
    )
    return serializer, serializer.make_signer()


def issue(secret: str, purpose: Purpose, claim: Mapping[str, Any], expires_at: datetime) -> str:
    """A URL-safe token carrying ``claim``, valid for ``purpose`` until ``expires_at``."""
    serializer, signer = _serializer(secret, purpose)
    # ``serializer.dumps``, with the signer made once rather than for every token.
    payload = serializer.dump_payload({**claim, _EXPIRES: int(expires_at.timestamp())})
    return signer.sign(payload).decode("utf-8")


def verify(secret: str, purpose: Purpose, token: str, now: datetime) -> dict[str, Any]:
    """The claim of a genuine, unexpired token of ``purpose`` (its expiry field removed)."""
    return verify_until(secret, purpose, token, now)[0]


def verify_until(
    secret: str, purpose: Purpose, token: str, now: datetime
) -> tuple[dict[str, Any], datetime]:
    """As :func:`verify`, with the moment the token expires."""
    try:
        claim = _serializer(secret, purpose)[0].loads(token)
        expires_at = datetime.fromtimestamp(int(claim.pop(_EXPIRES)), UTC)
    except (BadSignature, ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise InvalidToken("not a valid token") from exc
    if expires_at <= now:
        raise ExpiredToken(claim)
    return dict(claim), expires_at


def bound_signature(secret: str, purpose: Purpose, value: str) -> str:
    """A signature of ``value`` alone: a form field bound to one link, unforgeable off-site."""
    signer = Signer(secret, salt=purpose.value, digest_method=hashlib.sha256)
    return signer.get_signature(value).decode()


def bound_signature_matches(secret: str, purpose: Purpose, value: str, submitted: object) -> bool:
    if not isinstance(submitted, str):
        return False
    expected = bound_signature(secret, purpose, value)
    return hmac.compare_digest(submitted.encode(), expected.encode())
