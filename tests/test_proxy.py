"""Staff file a ticket for a resident (代办), recording the name and the source."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers import texts
from models.tables import Person

from .harness import Harness

DUE = texts.DEADLINE_EXPECTED.format(due="11月24日 09:00")  # the deadline words of a simple ticket

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


def person_id(h: Harness, external_id: str) -> int:
    """The id of a console user."""
    return int(h.query(lambda s: s.scalar(select(Person.id).where(Person.external_id == external_id))))


async def test_proxy_runs_the_wizard_with_name_and_source(h: Harness) -> None:
    """/proxy asks the resident's name and the source, then the usual steps, and records all of it."""
    await h.quick_grid()
    out = await h.say("w1: /proxy")
    assert h.to("w1", out) == [texts.ASK_PROXY_NAME]
    out = await h.say("w1: 王阿姨")
    assert out[0]["text"] == texts.ASK_PROXY_SOURCE
    assert out[0]["buttons"][:4] == ["夜访", "电话", "来访", "其他"]
    await h.run("w1: [tap 夜访]", "w1: [tap 住房]", "w1: [tap 水电气暖]", "w1: 3号楼停水两天了")
    await h.run("w1: [tap 跳过]", "w1: [location 29.3451,120.0752]", "w1: 139 0013 9000")
    assert h.last("w1")["text"].startswith("请确认您反映的问题：\n代办：王阿姨（夜访）\n类别：住房/水电气暖")
    out = await h.say("w1: [tap 确认提交]")
    assert h.to("w1", out) == [texts.SUBMITTED_PROXY.format(name="王阿姨", id=1, source="夜访")]
    t = h.ticket(1)
    w1 = person_id(h, "w1")
    assert (t.source, t.contact_name, t.filed_by_id, t.resident_id, t.phone) == (
        "visit",
        "王阿姨",
        w1,
        w1,
        "13900139000",
    )
    assert h.events(1) == ["created"]
    assert h.last("@siji1")["text"].startswith("【新工单 #1】住房/水电气暖")


async def test_proxy_ticket_details_name_the_resident_and_notices_reach_the_filer(h: Harness) -> None:
    """The handler's details name the resident (not the staff member); progress goes to whoever filed it."""
    await h.quick_grid()
    await h.run("w2: /proxy", "w2: 李大爷", "w2: [tap 电话]", "w2: [tap 其他]", "w2: 楼道灯坏了一个月")
    await h.run("w2: [tap 跳过]", "w2: [location 29.3451,120.0752]", "w2: 13700137000", "w2: [tap 确认提交]")
    out = await h.say("w1: 抢单 1")
    details = next(t for t in h.to("w1", out) if t.startswith("工单 #1 详情"))
    assert "联系人：李大爷" in details and "电话：13700137000" in details
    assert h.to("w2", out) == [
        texts.R_CLAIMED.format(id=1, role="网格员", handler="w1", tier=texts.TIER["simple"], deadline=DUE)
    ]


async def test_going_back_from_the_category_returns_to_the_source(h: Harness) -> None:
    """In a proxy filing, 返回上一步 at the category step goes back to the source choice."""
    await h.quick_grid()
    await h.run("w1: /proxy", "w1: 王阿姨", "w1: [tap 来访]")
    out = await h.say("w1: [tap 返回上一步]")
    assert out[0]["text"] == texts.ASK_PROXY_SOURCE
    await h.run("w1: [tap 电话]", "w1: [tap 其他]", "w1: 楼道灯坏了", "w1: [tap 跳过]")
    await h.run("w1: [location 29.3451,120.0752]", "w1: [tap 跳过]", "w1: [tap 确认提交]")
    assert h.ticket(1).source == "phone"


async def test_proxy_only_in_private_and_only_for_staff(h: Harness) -> None:
    """/proxy in a group asks for a private chat; a resident is told it is for staff."""
    await h.quick_grid()
    assert h.to("@siji1", await h.say("w1@siji1: 代办")) == [texts.PRIVATE_ONLY]
    assert h.to("r1", await h.say("r1: /proxy")) == [texts.NOT_STAFF]


async def test_proxy_name_must_be_a_short_single_line(h: Harness) -> None:
    """An empty or over-long name is refused at the first step."""
    await h.quick_grid()
    await h.say("w1: /proxy")
    assert h.to("w1", await h.say("w1: " + "名" * 41)) == [texts.NAME_INVALID.format(max=40)]
    assert h.to("w1", await h.say("w1: \u200b")) == [texts.NAME_INVALID.format(max=40)]
