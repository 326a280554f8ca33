"""The client's address behind a trusted reverse proxy, and never from a header anyone sent."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from collector.web.appkeys import CONFIG
from collector.web.client import client_address
from tests.support.collector import collector_config


def _request(tmp_path: Path, proxies: list[str], remote: str, forwarded: str) -> web.Request:
    config = collector_config("sqlite://", tmp_path)
    config = config.model_copy(
        update={"http": config.http.model_copy(update={"trusted_proxies": proxies})}
    )
    app = web.Application()
    app[CONFIG] = config
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("POST", "/login", headers=headers, app=app)
    return request.clone(remote=remote)


def test_it_believes_x_forwarded_for_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    proxy = ["10.0.0.5"]
    assert client_address(_request(tmp_path, proxy, "10.0.0.5", "203.0.113.7")) == "203.0.113.7"
    assert client_address(_request(tmp_path, [], "10.0.0.5", "203.0.113.7")) == "10.0.0.5"
    assert client_address(_request(tmp_path, proxy, "198.51.100.1", "1.2.3.4")) == "198.51.100.1"


def test_it_takes_the_nearest_hop_the_proxies_did_not_add(tmp_path: Path) -> None:
    proxies = ["10.0.0.5", "10.0.0.6"]
    forged_then_real = "1.2.3.4, 203.0.113.7, 10.0.0.6"
    assert client_address(_request(tmp_path, proxies, "10.0.0.5", forged_then_real)) == (
        "203.0.113.7"
    )
    assert client_address(_request(tmp_path, proxies, "10.0.0.5", "")) == "10.0.0.5"
