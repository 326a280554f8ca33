"""Password hashing (argon2) in a small pool of its own, with a cap on the work waiting.

Argon2 is meant to be slow. Run on the database's threads, a flood of wrong passwords would
queue every other query behind it; run unbounded, it would queue logins for minutes. So
hashing has its own threads, and past ``max_waiting`` calls in flight a new one is refused at
once (``HashingBusy``: the caller answers 429) instead of waiting its turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _decoy() -> str:
    """Verified against when the account does not exist, so a wrong name costs what a wrong
    password costs and the timing says nothing about which names exist. Hashed on first use,
    not at import: every command of the CLI imports this module, few check a password."""
    return _hasher.hash("faultdesk-decoy-password")


class HashingBusy(RuntimeError):
    """More password checks are in flight than the pool takes: try again in a moment."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """True when ``password`` is the one hashed; a missing hash costs the same work."""
    try:
        return _hasher.verify(password_hash or _decoy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _yield_to_the_event_loop() -> None:
    """Run this hashing thread at the lowest CPU priority (Linux lets a thread be niced alone):
    under a flood of sign-ins the event loop, the database threads and the probes go first."""
    # Not Linux, or not allowed: hashing then shares the CPU as any thread does.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class HashingPool:
    def __init__(self, threads: int = 2, max_waiting: int = 8) -> None:
        self._executor = ThreadPoolExecutor(
            threads, thread_name_prefix="argon2", initializer=_yield_to_the_event_loop
        )
        self._max = max_waiting
        self._in_flight = 0

    async def matches(self, password_hash: str | None, password: str) -> bool:
        self._enter()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._executor, password_matches, password_hash, password
            )
        finally:
            self._in_flight -= 1

    async def hash(self, password: str) -> str:
        self._enter()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, hash_password, password)
        finally:
            self._in_flight -= 1

    def _enter(self) -> None:
        # Counted on the event loop's thread alone, so no lock is needed.
        if self._in_flight >= self._max:
            raise HashingBusy("too many sign-ins at once; try again in a moment")
        self._in_flight += 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
