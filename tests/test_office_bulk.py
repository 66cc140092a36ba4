"""Bulk actions on the tickets list: each ticket through its own domain operation, results per ticket."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from handlers import texts
from models.tables import Person

from .harness import Harness
from .office import client, csrf, office_with_grids, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on; workers w1, w2 in grid siji-1."""
    async with office_with_grids(db_url) as h:
        yield h


async def bulk(http: object, data: dict[str, object]) -> object:
    """Post the list's bulk form with the list's CSRF token."""
    page = await http.get("/office/tickets")  # type: ignore[attr-defined]
    return await http.post("/office/tickets/bulk", data={"csrftoken": csrf(page.text), **data})  # type: ignore[attr-defined]


def outcomes(page: str) -> dict[int, str]:
    """Per ticket: ok or refused, from the results page."""
    return {int(i): c for i, c in re.findall(r'<tr data-id="(\d+)" class="(ok|refused)">', page)}


async def test_bulk_reject_and_assign_with_results_per_ticket(web: Harness) -> None:
    """Three spam reports rejected with one reason (a closed one refused); two handed to w2."""
    spam = [await web.quick_report(f"r{i}", category="other", description=f"广告{i}") for i in range(3)]
    done = await web.quick_report("r9")
    await web.say(f"admin: /reject {done} 重复")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        assert 'id="bulk"' in (await http.get("/office/tickets")).text
        answer = await bulk(http, {"action": "reject", "ids": [*spam, done], "reason": "广告信息，不予受理"})
        assert answer.status_code == 200  # type: ignore[attr-defined]
        page = answer.text  # type: ignore[attr-defined]
        assert outcomes(page) == {**{t: "ok" for t in spam}, done: "refused"}
        assert texts.OFFICE["bulk_summary"].format(done=3, failed=1) in page
        assert all(web.ticket(t).status == "rejected" for t in spam)
        await web.app.sender.flush()
        assert any("广告信息，不予受理" in m for m in web.to("r0"))
        fresh = [await web.quick_report(f"s{i}") for i in range(2)]
        w2 = web.query(lambda s: s.query(Person).filter_by(external_id="w2").one().id)
        answer = await bulk(http, {"action": "assign", "ids": fresh, "worker": str(w2)})
        assert outcomes(answer.text) == {t: "ok" for t in fresh}  # type: ignore[attr-defined]
        assert all(web.ticket(t).handler_id == w2 for t in fresh)


async def test_bad_bulk_requests_change_nothing(web: Harness) -> None:
    """No ticks, an unknown action, a forged number or too many: refused, nothing changes; workers too."""
    a = await web.quick_report("r1")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        for data in (
            {"action": "reject", "reason": "x"},
            {"action": "close", "ids": [a]},
            {"action": "reject", "ids": [str(a), "1 or 1=1"]},
            {"action": "reject", "ids": list(range(1, 202))},
        ):
            answer = await bulk(http, data)
            assert answer.status_code == 400  # type: ignore[attr-defined]
            assert texts.OFFICE["bulk_bad"].format(most=200) in answer.text  # type: ignore[attr-defined]
        assert web.ticket(a).status == "open"
    async with client(web) as http:
        await sign_in(web, http, "w2")
        assert 'id="bulk"' not in (await http.get("/office/tickets")).text
        answer = await bulk(http, {"action": "reject", "ids": [a], "reason": "不是我的"})
        assert answer.status_code == 400 and outcomes(answer.text) == {a: "refused"}  # type: ignore[attr-defined]
        assert web.ticket(a).status == "open"
