"""Walking the application's router for the tenant-isolation test: each route's access rule,
and its path with another customer's ids put in."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from aiohttp import web

from collector.web.access import Access, access_of

_PARAMETER = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


@dataclass(frozen=True)
class RouteRule:
    method: str
    template: str
    access: Access | None


def routes(app: web.Application) -> Iterator[RouteRule]:
    """Every route but HEAD (aiohttp adds one per GET) and static files."""
    for route in app.router.routes():
        resource = route.resource
        if route.method == "HEAD" or resource is None:
            continue
        if isinstance(resource, web.StaticResource):
            continue
        yield RouteRule(route.method, resource.canonical, access_of(route.handler))


def unruled(app: web.Application) -> list[str]:
    """Routes whose handler carries no access rule."""
    return [f"{r.method} {r.template}" for r in routes(app) if r.access is None]


def fill(template: str, objects: Mapping[str, str]) -> str:
    """The path with each parameter replaced by the object named by the segment before it
    (``/faults/{id}`` → ``objects["faults"]``) or by the parameter's own name."""
    segments = template.split("/")
    filled = []
    for index, segment in enumerate(segments):
        match = _PARAMETER.fullmatch(segment)
        if match is None:
            filled.append(segment)
            continue
        name = match.group(1)
        owner = segments[index - 1]
        key = name if name in objects else owner
        if key not in objects:
            raise KeyError(f"{template}: no object to put in {{{name}}} (after {owner!r})")
        filled.append(objects[key])
    return "/".join(filled)
