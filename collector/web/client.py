"""Who is on the other end of a request: the client's address, for throttling and the audit log.

Behind the README's TLS reverse proxy every request comes from the proxy, so one address
would carry everyone's failed sign-ins. ``http.trusted_proxies`` names the proxies whose
``X-Forwarded-For`` is believed; the address is the nearest hop that is not one of them.
Without that list the header is ignored, since anyone can write any address into it.
"""

from __future__ import annotations

from aiohttp import web

from collector.web.appkeys import CONFIG


def client_address(request: web.Request) -> str:
    remote = request.remote or ""
    trusted = set(request.app[CONFIG].http.trusted_proxies)
    if remote not in trusted:
        return remote
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if hop not in trusted:
            return hop[:64]
    return remote
