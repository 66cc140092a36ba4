"""Typed addresses: routed by the territory's names and placed at the grid's centre, marked approximate."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handlers import texts

from .harness import Harness
from .office import API_KEY, client, office_with_grids, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")

FORM = {
    "api_key": API_KEY,
    "service_code": "road",
    "description": "小区门口人行道地砖松动，老人容易绊倒",
    "jurisdiction_id": "beiyuan",
}


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office with Open311 on and grid siji-1's group."""
    async with office_with_grids(db_url) as h:
        yield h


async def test_open311_address_only_goes_to_the_named_grid_at_its_centre(web: Harness) -> None:
    """An address_string naming a 小区 lands in its grid (card in its group), on the map, approximate."""
    h = web
    async with client(h) as http:
        answer = await http.post(
            "/open311/v2/requests.json", data={**FORM, "address_string": "现代花园3幢2单元"}
        )
        assert answer.status_code == 201, answer.text
        tid = int(answer.json()[0]["service_request_id"])
        nowhere = await http.post("/open311/v2/requests.json", data={**FORM, "address_string": "月亮湾9号"})
        far = int(nowhere.json()[0]["service_request_id"])
    await h.app.sender.flush()
    t = h.ticket(tid)
    grid = h.query(lambda s: h.app.unit(s).tree.by_code("siji-1"))
    assert t.area_id == grid.id and t.location_approx
    assert t.lat is not None and abs(t.lat - grid.lat) < 0.01 and abs(t.lon - grid.lon) < 0.01  # type: ignore[operator]
    assert any(f"#{tid}" in m for m in h.to("@siji1"))
    other = h.ticket(far)
    assert other.lat is None and not other.location_approx
    assert h.query(lambda s: h.app.unit(s).tree.by_id[other.area_id].code) == "beiyuan"
    async with client(h) as http:
        await sign_in(h, http, "admin")
        page = await http.get("/office/map")
        assert page.status_code == 200
        assert f"#{tid}" in page.text and texts.WEB_APPROX in page.text
