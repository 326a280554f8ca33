"""The HTTP(S) probe against an in-test aiohttp server with self-signed certificates."""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from collector.probes.base import Verdict
from collector.probes.http import http_session, probe_http
from tests.support.tls import write_self_signed_cert

pytestmark = pytest.mark.integration

#: (base URL, CA file to trust) of a running HTTPS server.
Site = tuple[str, str]
SiteFactory = Callable[[int], Awaitable[Site]]


def make_app() -> web.Application:
    async def home(_request: web.Request) -> web.Response:
        return web.Response(text="Welcome to the PBX admin")

    async def moved(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/")

    async def broken(_request: web.Request) -> web.Response:
        raise web.HTTPInternalServerError()

    app = web.Application()
    app.router.add_get("/", home)
    app.router.add_get("/moved", moved)
    app.router.add_get("/broken", broken)
    return app


@pytest.fixture
async def https_site(tmp_path: Path) -> AsyncIterator[SiteFactory]:
    """Starts HTTPS servers whose certificate expires in the given number of days."""
    runners: list[web.AppRunner] = []

    async def start(valid_days: int) -> Site:
        cert_path, key_path = write_self_signed_cert(tmp_path, valid_days)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        runner = web.AppRunner(make_app())
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
        port = runner.addresses[0][1]
        return f"https://127.0.0.1:{port}", str(cert_path)

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_it_reports_status_and_certificate_days_for_a_healthy_site(
    https_site: SiteFactory,
) -> None:
    url, ca_file = await https_site(365)

    result = await probe_http(url + "/", ca_file=ca_file)

    assert result.verdict is Verdict.OK, result.detail
    assert result.detail == "200 OK, certificate valid for 365 days"
    assert result.data["status"] == 200
    assert 364 < result.data["cert_days_left"] <= 365
    assert result.latency_ms is not None


async def test_it_warns_about_a_certificate_expiring_in_five_days(
    https_site: SiteFactory,
) -> None:
    url, ca_file = await https_site(5)

    result = await probe_http(url + "/", ca_file=ca_file)

    assert result.verdict is Verdict.WARNING
    assert result.detail == "certificate expires in 5 days; 200 OK"


async def test_it_is_critical_inside_the_critical_days(https_site: SiteFactory) -> None:
    url, ca_file = await https_site(5)

    result = await probe_http(url + "/", ca_file=ca_file, cert_critical_days=6)

    assert result.verdict is Verdict.CRITICAL
    assert result.detail.startswith("certificate expires in 5 days")


async def test_it_finds_the_expected_text(https_site: SiteFactory) -> None:
    url, ca_file = await https_site(365)

    result = await probe_http(url + "/", ca_file=ca_file, expect_text="PBX admin")

    assert result.verdict is Verdict.OK, result.detail


async def test_it_is_critical_when_the_expected_text_is_missing(https_site: SiteFactory) -> None:
    url, ca_file = await https_site(365)

    result = await probe_http(url + "/", ca_file=ca_file, expect_text="Dashboard")

    assert result.verdict is Verdict.CRITICAL
    assert result.detail.startswith("'Dashboard' not found in body; 200 OK")


async def test_it_follows_redirects_by_default(https_site: SiteFactory) -> None:
    url, ca_file = await https_site(365)

    result = await probe_http(url + "/moved", ca_file=ca_file, expect_text="Welcome")

    assert result.verdict is Verdict.OK, result.detail
    assert result.data["redirects"] == [url + "/moved"]
    assert result.data["url"] == url + "/"
    assert result.detail.endswith("after 1 redirect")


async def test_it_reports_the_redirect_itself_when_not_following(
    https_site: SiteFactory,
) -> None:
    url, ca_file = await https_site(365)

    result = await probe_http(url + "/moved", ca_file=ca_file, follow_redirects=False)

    assert result.verdict is Verdict.OK, result.detail
    assert result.data["status"] == 302
    assert result.detail.startswith("302 Found -> /")


async def test_it_is_critical_when_the_status_is_not_the_expected_one(
    https_site: SiteFactory,
) -> None:
    url, ca_file = await https_site(365)

    result = await probe_http(
        url + "/moved", ca_file=ca_file, follow_redirects=False, expect_status={200}
    )

    assert result.verdict is Verdict.CRITICAL
    assert result.detail.startswith("302 Found -> / (expected 200)")


async def test_it_grades_unexpected_statuses_like_check_http(https_site: SiteFactory) -> None:
    url, ca_file = await https_site(365)

    missing = await probe_http(url + "/nowhere", ca_file=ca_file)
    broken = await probe_http(url + "/broken", ca_file=ca_file)

    assert missing.verdict is Verdict.WARNING
    assert missing.detail.startswith("404 Not Found")
    assert broken.verdict is Verdict.CRITICAL
    assert broken.detail.startswith("500 Internal Server Error")


async def test_it_refuses_a_certificate_it_does_not_trust(https_site: SiteFactory) -> None:
    url, _ca_file = await https_site(365)

    result = await probe_http(url + "/")

    assert result.verdict is Verdict.CRITICAL
    assert result.detail.startswith("certificate verify failed: self-signed certificate")


async def test_it_says_connection_refused_when_nothing_listens() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = await probe_http(f"http://127.0.0.1:{port}/")

    assert result.verdict is Verdict.CRITICAL
    assert result.detail == "connection refused"


async def test_it_reads_the_certificate_on_every_check_of_a_shared_session(
    https_site: SiteFactory,
) -> None:
    url, ca_file = await https_site(5)

    async with http_session() as session:
        results = [
            await probe_http(url + "/", ca_file=ca_file, expect_text="PBX", session=session)
            for _ in range(3)
        ]

    assert [result.verdict for result in results] == [Verdict.WARNING] * 3
    assert {result.detail for result in results} == {"certificate expires in 5 days; 200 OK"}
