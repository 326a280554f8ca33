"""PostgreSQL connections notice a silent network within about a minute, not two hours."""

from __future__ import annotations

import uuid

import pytest

from collector.store.engines import PG_TCP_DEFAULTS, make_engine
from tests.support.postgres import postgres_schema_url

pytestmark = pytest.mark.integration


def _client_parameters(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            return dict(raw.info.get_parameters())
    finally:
        engine.dispose()


def test_every_postgresql_connection_has_keepalives_and_a_user_timeout() -> None:
    with postgres_schema_url(f"t_{uuid.uuid4().hex[:12]}") as url:
        parameters = _client_parameters(url)
    for key, value in PG_TCP_DEFAULTS.items():
        assert parameters[key] == str(value)


def test_settings_in_the_url_win_over_the_defaults() -> None:
    with postgres_schema_url(f"t_{uuid.uuid4().hex[:12]}") as url:
        parameters = _client_parameters(url + "&keepalives_idle=5")
    assert parameters["keepalives_idle"] == "5"
    assert parameters["tcp_user_timeout"] == str(PG_TCP_DEFAULTS["tcp_user_timeout"])
