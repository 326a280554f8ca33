"""A throwaway schema on the PostgreSQL server at 127.0.0.1:5432.

Required under CI=true (the test fails when the server is missing); skipped elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SERVER = os.environ.get("FAULTDESK_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")


def _unavailable(reason: str) -> None:
    message = f"PostgreSQL at {SERVER} is not usable: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def postgres_schema_url(schema: str) -> Iterator[str]:
    """Create ``schema``, yield a URL whose search_path is that schema, then drop it."""
    import psycopg

    plain = SERVER.replace("postgresql+psycopg://", "postgresql://")
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _unavailable(str(exc).strip())
        raise  # unreachable: _unavailable always raises
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{SERVER}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
