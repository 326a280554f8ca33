"""Every dashboard route taking an id answers 404 for an id no row can have (out of range,
Unicode digits, a NUL), never a 500."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.support.dashboard import csrf_token

Client = TestClient[web.Request, web.Application]

BAD_IDS = ["2147483648", "9223372036854775808", "1" + "0" * 30, "²", "٣", "0", "%00"]
GETS = ["/faults/{}", "/incidents/{}", "/hosts/{}"]
POSTS = [
    "/faults/{}/ack",
    "/incidents/{}/respond",
    "/incidents/{}/page-ack",
    "/maintenance/{}/end",
]


async def test_it_answers_404_for_ids_no_row_can_have(operator_client: Client) -> None:
    field = csrf_token(await (await operator_client.get("/maintenance")).text())
    for raw in BAD_IDS:
        for template in GETS:
            response = await operator_client.get(template.format(raw))
            assert response.status == 404, (template, raw)
        for template in POSTS:
            path = template.format(raw)
            response = await operator_client.post(path, data={"csrf_token": field})
            assert response.status == 404, (path, await response.text())
