"""The messages that confused people, one test each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from handlers import texts
from handlers.render import fmt_duration
from handlers.ticket_text import progress_text
from models.tables import Ticket

from .harness import Harness

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.mark.parametrize(
    ("delta", "said"),
    [
        (timedelta(0), texts.DURATION_JUST_NOW),
        (timedelta(seconds=59), texts.DURATION_JUST_NOW),
        (timedelta(minutes=34), "34分钟"),
        (timedelta(hours=12), "12小时"),
        (timedelta(hours=4, minutes=45), "4小时45分"),
        (timedelta(days=1), "1天"),
        (timedelta(days=2, hours=3, minutes=20), "2天3小时"),
    ],
)
def test_durations_never_say_zero(delta: timedelta, said: str) -> None:
    """A duration is never 0分钟 nor has a zero part (12小时0分, 1天0小时)."""
    assert fmt_duration(delta) == said


async def test_reopen_notice_right_after_the_report_says_just_received(h: Harness) -> None:
    """A ticket reopened in the minute it was filed: the community reads 刚刚受理, not 已受理 0分钟."""
    await h.quick_grid()
    await h.quick_grid(group="siqu", grid="siji")
    tid = await h.quick_resolved()
    out = await h.say("r1: [tap 否]")
    [notice] = h.to("@siqu", out)
    assert f"工单 #{tid}" in notice and texts.AGE_JUST_NOW in notice
    assert "0分钟" not in notice and "已受理" not in notice


async def past_deadline(h: Harness) -> int:
    """A claimed ticket whose deadline (11月24日 09:00) passed 2天3小时 ago and has not been escalated yet."""
    tid = await h.quick_claimed()

    def write(s: Session) -> None:
        ticket = s.get(Ticket, tid)
        assert ticket is not None
        ticket.next_check_at = None  # the scan has not reached it (held to office hours, say)

    await h.app.db.run(write)
    h.clock.advance(timedelta(days=3, hours=3))
    return tid


PASSED = texts.DEADLINE_PASSED.format(late="已超期 2天3小时", due="11月24日 09:00")


async def test_progress_push_never_quotes_a_past_deadline_as_ahead(h: Harness) -> None:
    """The progress message says 已超期 2天3小时，原定 11月24日 09:00, not 截止时间 11月24日 09:00."""
    tid = await past_deadline(h)

    def read(s: Session) -> str:
        ticket = s.get(Ticket, tid)
        assert ticket is not None
        return progress_text(h.app.unit(s), ticket)

    said = h.query(read)
    assert PASSED in said and texts.DEADLINE_PROGRESS.format(due="11月24日 09:00") not in said


async def test_status_says_a_past_deadline_is_past(h: Harness) -> None:
    """/status of a late ticket: 截止：已超期 2天3小时，原定 11月24日 09:00."""
    tid = await past_deadline(h)
    [text] = h.to("r1", await h.say(f"r1: /status {tid}"))
    assert texts.STATUS_DUE.format(due=PASSED) in text


async def test_staff_and_residents_read_their_own_status_names(h: Harness) -> None:
    """A resolved ticket is 待您确认 to its resident and 待居民确认 to the handler."""
    tid = await h.quick_resolved()
    resident = h.to("r1", await h.say(f"r1: /status {tid}"))[0]
    assert "状态：已办结，待您确认" in resident
    worker = h.to("w1", await h.say(f"w1: /status {tid}"))[0]
    assert "状态：已办结，待居民确认" in worker and "待您确认" not in worker
    refused = h.to("w1", await h.say(f"w1: 见面 {tid}"))
    assert refused == [texts.NOT_OPEN.format(id=tid, status="已办结，待居民确认")]


async def test_proxy_phone_step_asks_for_the_residents_number(h: Harness) -> None:
    """The staff member filing for a resident is asked for the resident's phone (not 方便网格员联系您)."""
    await h.quick_grid()
    await h.run("w1: /proxy", "w1: 王阿姨", "w1: [tap 夜访]", "w1: [tap 住房]", "w1: [tap 水电气暖]")
    await h.run("w1: 3号楼停水两天了", "w1: [tap 跳过]")
    out = await h.say("w1: [location 29.3451,120.0752]")
    assert h.to("w1", out) == [texts.ASK_PROXY_PHONE]
    assert "方便网格员联系您" not in texts.ASK_PROXY_PHONE


async def test_grid_report_receipt_names_the_grids_workers(h: Harness) -> None:
    """A report in a grid is handed to that grid's 网格员."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    await h.run("r1: [location 29.3451,120.0752]", "r1: [tap 跳过]")
    [receipt] = h.to("r1", await h.say("r1: [tap 确认提交]"))
    assert "已转交 四季社区 第一网格 的网格员，" in receipt


async def test_community_report_receipt_names_no_grid_worker(h: Harness) -> None:
    """A community-level ticket says 已转交 丹溪社区 办理, not 已转交 丹溪社区 的网格员."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    await h.run("r1: 望道路88号3单元", "r1: [tap 丹溪社区]", "r1: [tap 跳过]")
    [receipt] = h.to("r1", await h.say("r1: [tap 确认提交]"))
    assert texts.SUBMITTED_TO["other"].format(area="丹溪社区") + "，" in receipt
    assert "的网格员" not in receipt


async def test_an_admins_visit_is_announced_as_an_admins(h: Harness) -> None:
    """An admin who holds a ticket and records 见面 is 管理员 admin to the resident, never 网格员 admin."""
    await h.quick_grid()
    tid = await h.quick_report()
    await h.say(f"admin: /assign {tid} w1")
    await h.say("admin: /grant admin worker siji-1")
    await h.say(f"admin: /assign {tid} admin")
    out = await h.say(f"admin: 见面 {tid}")
    assert h.to("r1", out) == [texts.R_MET.format(id=tid, role="管理员", handler="admin")]


async def test_a_department_worker_is_named_a_staff_member(h: Harness) -> None:
    """A worker of a department (not of a grid) who takes a ticket is 工作人员 to the resident."""
    await h.quick_grid()
    await h.quick_grid(group="cg", grid="dept-cg", workers=("c1",))
    tid = await h.quick_report()
    await h.say(f"admin: /move {tid} dept-cg")
    out = await h.say(f"c1: 抢单 {tid}")
    [told] = h.to("r1", out)
    assert told.startswith(f"您反映的问题（#{tid}）已由工作人员 c1 接单办理")


async def test_a_grant_names_the_role_by_what_the_person_will_be(h: Harness) -> None:
    """A worker role in a grid makes a 网格员, in a department a 工作人员, an admin role a 管理员."""
    await h.say("x1: 你好")
    said = [
        h.to("admin", await h.say(f"admin: /grant x1 {role} {area}"))[0]
        for role, area in (
            ("worker", "siji-1"),
            ("worker", "dept-cg"),
            ("admin", "siji"),
        )
    ]
    assert said == [
        texts.GRANT_DONE.format(user="x1", role="网格员", area="四季社区 第一网格"),
        texts.GRANT_DONE.format(user="x1", role="工作人员", area="城市管理办公室"),
        texts.GRANT_DONE.format(user="x1", role="管理员", area="四季社区"),
    ]
