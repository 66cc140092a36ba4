"""/history shows a ticket's whole trail to its handler and admins; 我的积分 明细 the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from handlers import audit, texts
from models import followers, points
from models.events import EventKind
from models.people import get_or_create_person
from models.tables import PointsEntry, Ticket, TicketEvent

from .harness import Harness

pytestmark = pytest.mark.usefixtures("group_privacy")

# Each event kind with an audit note in the form models/ writes it, and what /history says of it.
EVERY_KIND: dict[EventKind, tuple[str | None, str]] = {
    EventKind.CREATED: ("visit", "受理 · r1（居民）：来源 夜访"),
    EventKind.GRABBED: (None, "接单 · w1（网格员）"),
    EventKind.ASSIGNED: ("w2", "交办 · w1（网格员）：交给 w2"),
    EventKind.MET: ("repeat", "上门见面 · w1（网格员）（一天内重复记录，未再通知居民）"),
    EventKind.NOTE: ("已联系施工队", "进展 · w1（网格员）：已联系施工队"),
    EventKind.TIER: (
        "simple->difficult: 需要协调管线单位",
        "调整时限 · w1（网格员）：简单 → 复杂，理由：需要协调管线单位",
    ),
    EventKind.PLAN: (
        "2026-12-01: 先临时围挡",
        "初步方案 · w1（网格员）：2026-12-01 前落实，方案：先临时围挡",
    ),
    EventKind.RESOLVED: ("已修复", "办结 · w1（网格员）：已修复"),
    EventKind.RESULT_PHOTO: (None, "补充办结照片 · w1（网格员）"),
    EventKind.CONFIRMED_RESOLVED: (None, "居民确认已解决 · r1（居民）"),
    EventKind.REOPENED: (None, "居民反馈未解决，重新办理 · r1（居民）"),
    EventKind.CLOSED: ("double_yes", "销号 · r1（居民）：双是（已解决、满意）"),
    EventKind.WITHDRAWN: (None, "撤回 · r1（居民）"),
    EventKind.REJECTED: ("不属于受理范围", "驳回 · w1（网格员）：不属于受理范围"),
    EventKind.MERGED: ("#7", "合并 · w1（网格员）：合并到 #7"),
    EventKind.ESCALATED: ("unclaimed:1", "升级督办 · 系统：无人接单，升级至社区"),
    EventKind.OVERDUE: ("3", "超期 · 系统：超过街道领导督办时限"),
    EventKind.REMINDED: ("0:0.5", "办理提醒 · 系统：办理时限已过 50%"),
    EventKind.OVERDUE_REMINDED: ("3:5", "超期催办 · 系统：第 5 次催办"),
    EventKind.FOLLOWUP_REMINDED: ("2", "回访提醒 · 系统：对这次办理满意吗？"),
    EventKind.PROGRESS: (None, "进展提醒 · 系统：向居民推送进展"),
    EventKind.MOVED: ("siji-1 -> siji-2", "转派 · w1（网格员）：第一网格 → 第二网格"),
    EventKind.RECATEGORISED: ("road -> road", "调整类别 · w1（网格员）：大城管/道路破损 → 大城管/道路破损"),
    EventKind.PHONE_FOLLOWUP: ("2:n", "电话回访 · w1（网格员）：对这次办理满意吗？不满意"),
    EventKind.RELEASED: ("PREVIOUS", "退回待抢单 · w1（网格员）：原办理人 w2 不再负责，退回待抢单"),
    EventKind.UNFOLLOWED: ("PREVIOUS", "取消关注 · w1（网格员）：w2 不再关注"),
    EventKind.RETURN_ASKED: ("非本街道辖区", "申请退单 · w1（网格员）：非本街道辖区"),
    EventKind.RETURNED: ("非本街道辖区", "退单（已批准） · w1（网格员）：非本街道辖区"),
    EventKind.RETURN_REFUSED: ("属本辖区", "退单申请未获批准 · w1（网格员）：属本辖区"),
    EventKind.EXTENSION_ASKED: ("2026-12-10: 需协调", "申请延期 · w1（网格员）：延至 2026-12-10，需协调"),
    EventKind.EXTENDED: (
        "2026-12-10: 市级已批准",
        "延期（已批准） · w1（网格员）：延至 2026-12-10，市级已批准",
    ),
    EventKind.EXTENSION_REFUSED: ("市级未批准", "延期申请未获批准 · w1（网格员）：市级未批准"),
    EventKind.CITY_VISIT: ("yyn", "市级回访 · 系统：响应是，解决是，满意否"),
    EventKind.PAUSED: ("2026-11-25: 等待居民回家", "挂起 · w1（网格员）：至 2026-11-25，等待居民回家"),
    EventKind.RESUMED: ("90", "恢复计时 · w1（网格员）：挂起 90 分钟，办理时限顺延"),
    EventKind.ANSWERED: ("请带身份证到派出所开具", "答复咨询 · w1（网格员）：请带身份证到派出所开具"),
    EventKind.BACKSTOPPED: ("unclaimed", "转社区兜底 · 系统：物业30分钟内未接单，转社区兜底"),
    EventKind.IDEA_STAGE: ("starred：群众呼声高", "金点子筛选 · w1（网格员）：入选（星选），群众呼声高"),
}
# Who did each: the resident, the system (scheduler), or the worker.
BY_RESIDENT = {
    EventKind.CREATED,
    EventKind.CONFIRMED_RESOLVED,
    EventKind.REOPENED,
    EventKind.CLOSED,
    EventKind.WITHDRAWN,
}
BY_SYSTEM = {
    EventKind.CITY_VISIT,
    EventKind.ESCALATED,
    EventKind.OVERDUE,
    EventKind.REMINDED,
    EventKind.OVERDUE_REMINDED,
    EventKind.FOLLOWUP_REMINDED,
    EventKind.PROGRESS,
    EventKind.BACKSTOPPED,
}


def test_every_event_kind_has_a_history_rendering() -> None:
    """A new EventKind fails here until /history (and this table) say something of it."""
    assert set(audit.DETAIL) == set(EventKind)
    assert set(EVERY_KIND) == set(EventKind)
    assert set(texts.EVENT_NAME) == {k.value for k in EventKind}


async def pages(h: Harness, user: str, tid: int) -> list[str]:
    """Every line of /history over all its pages, headers and page hints left out."""
    lines: list[str] = []
    page = 1
    while True:
        [text] = h.to(user, await h.say(f"{user}: /history {tid} {page}"))
        body = text.split("\n")
        assert body[0].startswith(f"工单 #{tid} 办理记录（")
        more = body[-1] == texts.HISTORY_MORE.format(id=tid, next=page + 1)
        lines += body[1:-1] if more else body[1:]
        if not more:
            return lines
        page += 1


async def test_history_renders_every_event_kind_with_actor_and_content(h: Harness) -> None:
    """One event of every kind: each line has the time, the actor's name and role, and its content."""
    await h.quick_grid()
    tid = await h.quick_report()

    def write(s: Session) -> None:
        u = h.app.unit(s)
        w1 = get_or_create_person(s, "console", "w1", u.now)
        w2 = get_or_create_person(s, "console", "w2", u.now)
        ticket = s.get(Ticket, tid)
        assert ticket is not None
        s.query(TicketEvent).filter(TicketEvent.ticket_id == tid).delete()
        ticket.handler_id = w1.id
        for n, (kind, (note, _)) in enumerate(EVERY_KIND.items()):
            actor = ticket.resident_id if kind in BY_RESIDENT else None if kind in BY_SYSTEM else w1.id
            if note == "PREVIOUS":
                note = str(w2.id)
            s.add(
                TicketEvent(
                    ticket_id=tid, actor_id=actor, at=u.now + timedelta(minutes=n), kind=kind, note=note
                )
            )

    await h.app.db.run(write)
    lines = await pages(h, "admin", tid)
    assert len(lines) == len(EventKind)
    for line, (kind, (_, said)) in zip(lines, EVERY_KIND.items(), strict=True):
        assert line.endswith(said), (kind, line)
        assert line.startswith("11月23日 "), line
    [first] = h.to("admin", await h.say(f"admin: /history {tid}"))
    assert first.split("\n")[0] == texts.HISTORY_HEADER.format(
        id=tid, count=len(EventKind), page=1, pages=-(-len(EventKind) // audit.PAGE)
    )


async def test_history_of_a_real_ticket_shows_reasons_plans_moves_and_followers(h: Harness) -> None:
    """Escalation, tier with reason, plan with date and text, a note, a follower and a move, as they were."""
    await h.quick_grid()
    await h.say("admin: 你好")
    tid = await h.quick_report()
    await h.advance(timedelta(hours=3))  # unclaimed past the claim window: one level up
    await h.say(f"w1: 抢单 {tid}")
    await h.say(f"w1: 定级 {tid} 暂难解决 需要协调管线单位")
    await h.say(f"w1: 方案 {tid} 2026-11-30 先临时围挡，再排期修复")
    await h.say(f"w1: 进展 {tid} 已联系施工队")

    def follow(s: Session) -> None:
        u = h.app.unit(s)
        r2 = get_or_create_person(s, "console", "r2", u.now, name="r2", chat_id="r2")
        followers.add(s, tid, r2.id, u.now)

    await h.app.db.run(follow)
    await h.say(f"admin: /move {tid} siji-2")
    lines = await pages(h, "admin", tid)
    said = "\n".join(lines)
    for expected in (
        "受理 · r1（居民）：来源 本人反映",
        "升级督办 · 系统：无人接单，升级至社区",
        "接单 · w1（网格员）",
        "调整时限 · w1（网格员）：简单 → 暂难解决，理由：需要协调管线单位",
        "初步方案 · w1（网格员）：2026-11-30 前落实，方案：先临时围挡，再排期修复",
        "进展 · w1（网格员）：已联系施工队",
        "关注同一问题 · r2（居民）：r2 反映了同一问题",
        "转派 · admin（管理员）：第一网格 → 第二网格",
    ):
        assert expected in said, (expected, said)


async def test_history_of_a_merged_ticket_names_the_survivor(h: Harness) -> None:
    """Both trails show the merge: the duplicate says where it went, the survivor what joined it."""
    await h.quick_grid()
    keep = await h.quick_report()
    dup = await h.quick_report("r2")
    await h.say(f"admin: /merge {dup} {keep}")
    assert "合并 · admin（管理员）：合并到 #" + str(keep) in "\n".join(await pages(h, "admin", dup))
    assert f"合并 · admin（管理员）：#{dup} 并入本工单" in "\n".join(await pages(h, "admin", keep))


async def test_history_is_for_the_handler_and_admins_only(h: Harness) -> None:
    """The resident and a worker who does not hold it are refused; the handler and an admin see it."""
    tid = await h.quick_claimed()
    refused = texts.HISTORY_NOT_ALLOWED.format(id=tid)
    assert h.to("r1", await h.say(f"r1: /history {tid}")) == [refused]
    assert h.to("w2", await h.say(f"w2: 历史 {tid}")) == [refused]
    for user in ("w1", "admin"):
        [text] = h.to(user, await h.say(f"{user}: 历史 {tid}"))
        assert text.startswith(f"工单 #{tid} 办理记录（")


async def test_history_bad_input_changes_nothing(h: Harness) -> None:
    """A missing number, a bad page, a page past the end and an unknown ticket each get a clear answer."""
    tid = await h.quick_claimed()
    before = h.count(TicketEvent)
    usage = texts.USAGE.format(usage=audit.HISTORY.usage)
    assert h.to("admin", await h.say("admin: /history")) == [usage]
    assert h.to("admin", await h.say(f"admin: /history {tid} 第二页")) == [usage]
    assert h.to("admin", await h.say(f"admin: /history {tid} 5")) == [
        texts.HISTORY_PAGE_EMPTY.format(id=tid, pages=1)
    ]
    assert h.to("admin", await h.say("admin: /history 999")) == [texts.NOT_FOUND.format(id=999)]
    assert h.count(TicketEvent) == before


async def test_history_in_a_group_goes_to_the_private_chat(h: Harness) -> None:
    """历史 in the grid group: the trail (with the resident's words) in private, a note in the group."""
    tid = await h.quick_claimed()
    await h.say(f"w1: 进展 {tid} 已到3幢201室查看")
    out = await h.say(f"w1@siji1: 历史 {tid}")
    assert h.to("@siji1", out) == [texts.GROUP_ANSWERED_PRIVATELY.format(name="w1")]
    assert "已到3幢201室查看" in h.to("w1", out)[0]


async def test_ledger_detail_lists_rows_with_reason_ticket_and_time(h: Harness) -> None:
    """我的积分 明细: each row's time, reason, points and ticket, newest first."""
    tid = await h.quick_claimed()
    await h.say(f"w1: 见面 {tid}")
    [text] = h.to("w1", await h.say("w1: 我的积分 明细"))
    assert text.split("\n") == [
        texts.LEDGER_HEADER.format(count=2, total=5, page=1, pages=1),
        f"11月23日 09:00 见面 +3 分 · 工单 #{tid}",
        f"11月23日 09:00 抢单 +2 分 · 工单 #{tid}",
    ]


async def test_ledger_detail_is_paginated(h: Harness) -> None:
    """Twenty rows make two pages; page 2 (/points detail 2) holds the oldest five; past the end is said."""
    await h.quick_grid()
    tid = await h.quick_report()

    def write(s: Session) -> None:
        u = h.app.unit(s)
        w1 = get_or_create_person(s, "console", "w1", u.now)
        for n in range(20):
            points.award(s, w1.id, tid if n % 2 else None, n + 1, "grab", u.now + timedelta(hours=n))

    await h.app.db.run(write)
    [first] = h.to("w1", await h.say("w1: 我的积分 明细"))
    lines = first.split("\n")
    assert lines[0] == texts.LEDGER_HEADER.format(count=20, total=210, page=1, pages=2)
    assert lines[1].endswith("抢单 +20 分 · 工单 #" + str(tid)) and len(lines) == 1 + audit.PAGE + 1
    assert lines[-1] == texts.LEDGER_MORE.format(next=2)
    [second] = h.to("w1", await h.say("w1: /points detail 2"))
    assert second.split("\n")[1:] == [
        f"11月23日 {9 + n:02d}:00 抢单 +{n + 1} 分" + (f" · 工单 #{tid}" if n % 2 else "")
        for n in range(4, -1, -1)
    ]
    assert h.to("w1", await h.say("w1: 我的积分 明细 3")) == [texts.LEDGER_PAGE_EMPTY.format(pages=2)]
    usage = texts.USAGE.format(usage="我的积分 明细 [页码]")
    assert h.to("w1", await h.say("w1: 我的积分 明细 x")) == [usage]
    assert h.count(PointsEntry) == 20


async def test_ledger_detail_without_points(h: Harness) -> None:
    """Someone without any ledger row is told so."""
    await h.say("r1: 你好")
    assert h.to("r1", await h.say("r1: /points detail")) == [texts.LEDGER_EMPTY]
