"""The served OpenAPI document, and a checker that holds JSON answers to it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from collector.api.health import OPENAPI

DOCUMENT: dict[str, Any] = json.loads(OPENAPI.read_text())


def resolve(ref: str) -> Any:
    node: Any = DOCUMENT
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


# A small checker for the JSON Schema keywords the document uses, so responses can be held to it.
def check(value: Any, schema: dict[str, Any], where: str = "$") -> None:
    if "$ref" in schema:
        return check(value, resolve(schema["$ref"]), where)
    if "oneOf" in schema:
        failures = []
        for option in schema["oneOf"]:
            try:
                return check(value, option, where)
            except AssertionError as exc:
                failures.append(str(exc))
        raise AssertionError(f"{where}: matches no option: {failures}")
    check_type(value, schema, where)
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if "const" in schema:
        assert value == schema["const"], where
    if schema.get("format") == "date-time" and value is not None:
        assert value.endswith("Z"), f"{where}: {value!r} is not UTC with Z"
        datetime.fromisoformat(value)
    if isinstance(value, dict):
        check_object(value, schema, where)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            check(item, schema["items"], f"{where}[{index}]")
    return None


def check_type(value: Any, schema: dict[str, Any], where: str) -> None:
    names = schema.get("type")
    if names is None:
        return
    types: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "object": dict,
        "array": list,
        "null": type(None),
    }
    allowed = [names] if isinstance(names, str) else names
    ok = any(isinstance(value, types[n]) for n in allowed)
    if isinstance(value, bool) and "boolean" not in allowed:
        ok = False
    assert ok, f"{where}: {value!r} is not {names}"


def check_object(value: dict[str, Any], schema: dict[str, Any], where: str) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        assert name in value, f"{where}: missing {name}"
    for name, item in value.items():
        if name in properties:
            check(item, properties[name], f"{where}.{name}")
        elif isinstance(schema.get("additionalProperties"), dict):
            check(item, schema["additionalProperties"], f"{where}.{name}")
        else:
            assert schema.get("additionalProperties", True) is not False, f"{where}: extra {name}"


class Documented:
    """A test client whose every JSON answer is checked against the document."""

    def __init__(self, client: TestClient[Any, Any], token: str) -> None:
        self.client = client
        self.auth = {"Authorization": f"Bearer {token}"}

    async def call(
        self, method: str, template: str, status: int, path: str | None = None, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("headers", self.auth)
        response = await self.client.request(method, path or template, **kwargs)
        assert response.status == status, await response.text()
        return await self.conforms(response, method, template)

    async def conforms(self, response: ClientResponse, method: str, template: str) -> Any:
        operation = DOCUMENT["paths"][template][method.lower()]
        documented = operation["responses"][str(response.status)]
        if "$ref" in documented:
            documented = resolve(documented["$ref"])
        content_type = response.headers["Content-Type"].split(";")[0]
        assert content_type in documented["content"], (template, content_type)
        if content_type != "application/json":
            return await response.text()
        body = await response.json()
        check(body, documented["content"][content_type]["schema"])
        return body
