"""A collector application on a temporary SQLite database, a fixed clock, and some data.

Hashing a password with argon2 takes most of a second on a busy machine, so the seeded
database (operator included) is built once per session and copied for each test, and tests
that are not about logging in get a signed session cookie instead of going through the form.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.config.settings import CollectorConfig
from collector.store.database import Database
from collector.store.engines import make_engine, migrate
from collector.web.appkeys import DATABASE
from dashboard import sessions
from tests.support.clock import Clock
from tests.support.dashboard import (
    START,
    LiveCollector,
    Seeded,
    make_config,
    seed,
    session_cookie,
)
from tests.support.portal import OtherCustomer, add_acme_user, add_globex, customer_cookie


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    """A migrated, seeded database file built once; each test gets its own copy."""
    directory = tmp_path_factory.mktemp("template")
    config = make_config(directory)
    engine = make_engine(config.database.url)
    migrate(engine)
    db = Database(engine)
    try:
        seeded = db.transaction(seed, config, START)
    finally:
        db.close()
    return directory, seeded


@pytest.fixture
def config(tmp_path: Path, template: tuple[Path, Seeded]) -> CollectorConfig:
    for path in template[0].iterdir():
        shutil.copy(path, tmp_path / path.name)
    return make_config(tmp_path)


@pytest.fixture
def app(config: CollectorConfig, clock: Clock) -> web.Application:
    return create_app(config, clock=clock, run_schedules=False)


@pytest.fixture
async def client(app: web.Application) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
def db(app: web.Application, client: TestClient[web.Request, web.Application]) -> Database:
    """The application's database, migrated (the client has started the application)."""
    return app[DATABASE]


@pytest.fixture
def seeded(db: Database, template: tuple[Path, Seeded]) -> Seeded:
    """What the test's copy of the seeded database holds."""
    return template[1]


@pytest.fixture
def globex(db: Database, seeded: Seeded) -> OtherCustomer:
    """Another customer, with a host, a fault and an incident of its own."""
    return db.transaction(add_globex, START)


@pytest.fixture
def portal(
    client: TestClient[web.Request, web.Application],
    db: Database,
    config: CollectorConfig,
    globex: OtherCustomer,
) -> TestClient[web.Request, web.Application]:
    """The client, signed in to the portal as Acme's customer admin, with Globex beside."""
    user_id = db.transaction(add_acme_user, START)
    cookie = customer_cookie(db, config, user_id, START)
    client.session.cookie_jar.update_cookies({sessions.COOKIE: cookie}, client.make_url("/"))
    return client


@pytest.fixture
def operator_client(
    client: TestClient[web.Request, web.Application],
    config: CollectorConfig,
    db: Database,
    seeded: Seeded,
) -> TestClient[web.Request, web.Application]:
    """The client, logged in as the seeded operator by a session cookie (no argon2 round)."""
    value = session_cookie(db, config, "operator", seeded.operator.id, START)
    client.session.cookie_jar.update_cookies({sessions.COOKIE: value}, client.make_url("/"))
    return client


@pytest.fixture
async def live(template: tuple[Path, Seeded], tmp_path: Path) -> AsyncIterator[LiveCollector]:
    """The collector on a real loopback port, its public URL (used in mailed links) that port."""
    for path in template[0].iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = make_config(tmp_path, public_url=base_url)
    app = create_app(config, clock=Clock(START), run_schedules=False)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield LiveCollector(base_url, config, app[DATABASE])
    finally:
        await runner.cleanup()
        sock.close()
