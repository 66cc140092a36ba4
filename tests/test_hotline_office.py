"""City orders are marked in the office's ticket list, filtered on their own, exported with their facts."""

from __future__ import annotations

import csv
import io

import pytest

from handlers import texts

from .cityfake import City
from .harness import Harness
from .office import client, sign_in
from .test_hotline_city import WORKER, placed, town  # noqa: F401 (the fixture)

pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_city_orders_are_tagged_filtered_and_exported_with_number_deadline_and_signing(
    town: Harness,  # noqa: F811
) -> None:
    """Three pushed orders, one signed (grabbed), beside a resident's own report: the list tags the
    orders with their 工单编号, 仅12345市级工单 lists only them, the CSV has number, deadline, 签收."""
    h = town
    city = City(now=h.clock.now())
    orders = [o for o in city.dispatch(12, "O") if o.grid == "siji-1"][:3]
    assert len(orders) == 3
    async with client(h) as http:
        assert (await city.push(http, orders)).status_code == 201
    where = placed(h)
    signed = orders[0].number
    await h.say(f"{WORKER['siji-1']}: 抢单 {where[signed][0]}")
    own = await h.report(description="春晗路12号门口人行道破损，老人容易绊倒")
    async with client(h) as http:
        await sign_in(h, http, "admin")
        page = (await http.get("/office/tickets")).text
        for o in orders:
            assert f"{texts.OFFICE['city_tag']} {o.number}" in page
        assert page.count('class="tag city"') == 3
        only = (await http.get("/office/tickets?city=1")).text
        assert only.count('class="tag city"') == 3
        assert f'<tr data-id="{own}">' not in only and f'<tr data-id="{own}">' in page
        answer = await http.get("/office/tickets.csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[-3:] == list(texts.XLS_TICKET_HEADERS[-3:]) == ["市级工单编号", "市级办结时限", "已签收"]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[str(where[signed][0])][-3] == signed
    assert by_id[str(where[signed][0])][-1] == texts.XLS_YES
    assert by_id[str(where[signed][0])][-2]  # the city's deadline, as a local time
    assert by_id[str(where[orders[1].number][0])][-1] == texts.XLS_NO
    assert by_id[str(own)][-3:] == ["", "", ""]  # a resident's own report is no city order


async def test_a_forged_city_filter_value_changes_nothing(town: Harness) -> None:  # noqa: F811
    """city=<script> is not 'on': the list is the whole list, and the value is never echoed."""
    h = town
    await h.report(description="春晗路12号门口人行道破损，老人容易绊倒")
    async with client(h) as http:
        await sign_in(h, http, "admin")
        page = await http.get("/office/tickets?city=%3Cscript%3Ealert(1)%3C/script%3E")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert 'class="tag city"' not in page.text
