"""The argon2 pool: a cap on checks in flight; an account without a password never matches."""

from __future__ import annotations

import asyncio

import pytest

from collector.security.passwords import HashingBusy, HashingPool, hash_password


async def test_it_refuses_a_check_past_the_cap_at_once() -> None:
    pool = HashingPool(threads=1, max_waiting=1)
    stored = hash_password("right password")
    try:
        first = asyncio.create_task(pool.matches(stored, "right password"))
        await asyncio.sleep(0)  # the first check is in flight now
        with pytest.raises(HashingBusy):
            await pool.matches(stored, "right password")
        assert await first
        assert not await pool.matches(stored, "wrong password")
    finally:
        pool.close()


async def test_it_says_no_for_an_account_without_a_password() -> None:
    pool = HashingPool()
    try:
        assert not await pool.matches(None, "faultdesk-decoy-password")
    finally:
        pool.close()
