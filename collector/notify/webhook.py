"""Delivering one page to a webhook pager: POST JSON, with a timeout and a few quick retries.

Retries are short and in-line because a page is urgent and escalation will move on anyway if
it never arrives; every failed attempt's reason is kept for the page's record. A 4xx other
than 408 and 429 is permanent: the pager refused the request itself, and asking again the same
way cannot help.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

_RETRYABLE_4XX = {408, 429}


@dataclass
class WebhookOutcome:
    delivered: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def error_text(self) -> str | None:
        return "; ".join(self.errors) or None


async def post_page(
    session: aiohttp.ClientSession,
    url: str,
    payload: dict[str, Any],
    *,
    timeout_s: float,
    attempts: int,
    retry_s: float,
) -> WebhookOutcome:
    """POST ``payload`` until a 2xx, a permanent refusal, or ``attempts`` tries."""
    outcome = WebhookOutcome()
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            await asyncio.sleep(retry_s * 2 ** (attempt - 2))
        try:
            async with session.post(url, json=payload, timeout=timeout) as response:
                if 200 <= response.status < 300:
                    outcome.delivered = True
                    return outcome
                reason = f"HTTP {response.status} {response.reason or ''}".strip()
                permanent = 400 <= response.status < 500 and response.status not in _RETRYABLE_4XX
        except TimeoutError:
            reason, permanent = f"no answer within {timeout_s:g} s", False
        except aiohttp.ClientError as exc:
            reason, permanent = f"{type(exc).__name__}: {exc}", False
        outcome.errors.append(f"attempt {attempt}: {reason}")
        if permanent:
            break
    return outcome
