"""金点子 screening: 收集 → 初筛 → 入选 → 落地 / 未采纳 by admins, in chat and on the web; the proposer is
told each step and earns points once, when it is adopted; bad input is answered and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers import texts
from models.ideas import Stage, stage_of

from .harness import Harness
from .office import client, office_with_grids, post_form, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")

IDEA = "建议在社区广场设置共享书架，方便居民交换图书"


async def proposal(h: Harness) -> int:
    await h.quick_grid()
    return await h.quick_report(category="idea", description=IDEA)


def stage(h: Harness, tid: int) -> Stage:
    return h.query(lambda s: stage_of(s, tid))  # type: ignore[no-any-return]


def moved(tid: int, stage_: Stage, points: int = 0) -> str:
    earned = texts.IDEA_MOVED_POINTS.format(points=points) if points else ""
    return texts.IDEA_MOVED.format(id=tid, stage=texts.IDEA_STAGE[stage_], points=earned)


async def test_a_proposal_is_screened_starred_and_adopted_and_the_proposer_hears_each_step(
    h: Harness,
) -> None:
    """初筛, 入选 (with a reason), 落地: r1 is told three times and earns the idea points once."""
    tid = await proposal(h)
    out = await h.say(f"admin: 筛选 {tid} 初筛")
    assert h.to("admin", out) == [moved(tid, Stage.SCREENED)]
    assert h.to("r1", out) == [texts.R_IDEA_STAGE.format(id=tid, stage="初筛", reason="")]
    out = await h.say(f"admin: 筛选 {tid} 入选 居民呼声高，成本低")
    reason = texts.R_IDEA_REASON.format(reason="居民呼声高，成本低")
    assert h.to("r1", out) == [texts.R_IDEA_STAGE.format(id=tid, stage="入选（星选）", reason=reason)]
    out = await h.say(f"admin: 筛选 {tid} 落地")
    assert h.to("admin", out) == [moved(tid, Stage.ADOPTED, 20)]
    told = h.to("r1", out)[0]
    assert told.startswith(texts.R_IDEA_STAGE.format(id=tid, stage="落地", reason=""))
    assert texts.R_IDEA_ADOPTED_POINTS.format(points=20) in told
    assert stage(h, tid) == Stage.ADOPTED
    assert [row for row in h.ledger() if row[0] == "r1"] == [("r1", "idea", 20)]
    assert h.events(tid).count("idea_stage") == 3
    history = h.to("admin", await h.say(f"admin: /history {tid}"))[0]
    assert "金点子筛选 · admin（管理员）：入选（星选），居民呼声高，成本低" in history


async def test_declining_needs_a_reason_and_pays_nothing(h: Harness) -> None:
    """未采纳 without a reason is refused; with one, r1 hears why; no points; nothing moves after."""
    tid = await proposal(h)
    out = await h.say(f"admin: 筛选 {tid} 未采纳")
    assert h.to("admin", out) == [texts.REASON_REQUIRED] and stage(h, tid) == Stage.COLLECTED
    out = await h.say(f"admin: 筛选 {tid} 未采纳 场地不具备条件")
    assert h.to("r1", out) == [
        texts.R_IDEA_STAGE.format(
            id=tid, stage="未采纳", reason=texts.R_IDEA_REASON.format(reason="场地不具备条件")
        )
    ]
    out = await h.say(f"admin: 筛选 {tid} 初筛")
    assert h.to("admin", out) == [texts.IDEA_STEP.format(id=tid, at="未采纳", to="初筛")]
    assert stage(h, tid) == Stage.DECLINED and not [r for r in h.ledger() if r[1] == "idea"]


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("admin: 筛选 {id} 批准", texts.IDEA_STAGE_UNKNOWN.format(stage="批准")),
        ("admin: 筛选 {id} 收集", texts.IDEA_STAGE_UNKNOWN.format(stage="收集")),
        ("admin: 筛选 {id} 落地", texts.IDEA_STEP.format(id="{id}", at="收集", to="落地")),
        ("admin: 筛选 {id}", texts.USAGE.format(usage=texts.USAGE_IDEA)),
        ("w1: 筛选 {id} 初筛", texts.NOT_ADMIN),
        ("r1: 筛选 {id} 初筛", texts.NOT_ADMIN),
    ],
)
async def test_bad_screening_is_answered_and_changes_nothing(h: Harness, line: str, answer: str) -> None:
    """An unknown stage, a skipped step, a missing stage, a worker or a resident: answered, still 收集."""
    tid = await proposal(h)
    user = line.split(":")[0]
    out = await h.say(line.format(id=tid))
    assert h.to(user, out) == [answer.replace("{id}", str(tid))]
    assert stage(h, tid) == Stage.COLLECTED and h.to("r1", out) == ([answer] if user == "r1" else [])
    assert "idea_stage" not in h.events(tid)


async def test_screening_a_ticket_that_is_no_proposal_is_refused(h: Harness) -> None:
    """A 道路破损 report cannot be screened."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say(f"admin: 筛选 {tid} 初筛")
    assert h.to("admin", out) == [texts.IDEA_NOT_PROPOSAL.format(id=tid)]
    assert "idea_stage" not in h.events(tid)


async def test_a_proposal_has_no_135_deadline(h: Harness) -> None:
    """Unclaimed for days, a proposal is never escalated and has no deadline."""
    tid = await proposal(h)
    await h.advance(timedelta(days=3))
    t = h.ticket(tid)
    assert (t.tier, t.due_at, t.next_check_at, t.level) == ("none", None, None, 0)
    assert "escalated" not in h.events(tid)


async def test_the_chat_list_groups_proposals_by_stage(h: Harness) -> None:
    """金点子列表: each stage with its count and its proposals."""
    tid = await proposal(h)
    other = await h.quick_report(category="idea", description="希望小区增设电动车充电桩，解决飞线充电")
    await h.say(f"admin: 筛选 {tid} 初筛")
    text = h.to("admin", await h.say("admin: 金点子列表"))[0]
    collected, screened = text.index("【收集】1 件"), text.index("【初筛】1 件")
    assert collected < text.index(f"#{other} ") < screened < text.index(f"#{tid} ")


async def test_the_office_page_lists_by_stage_and_moves_a_proposal(db_url: str) -> None:
    """/office/ideas shows the proposal under 收集; its form moves it to 初筛; a forged stage is refused."""
    async with office_with_grids(db_url) as h:
        tid = await h.quick_report(category="idea", description=IDEA)
        async with client(h) as http:
            await sign_in(h, http, "admin")
            page = (await http.get("/office/ideas")).text
            assert (
                page.index('data-stage="collected"')
                < page.index(f'data-id="{tid}"')
                < page.index('data-stage="screened"')
            )
            bad = await post_form(http, "/office/ideas", f"/office/tickets/{tid}/idea", {"stage": "approved"})
            assert bad.status_code == 400 and texts.IDEA_STAGE_UNKNOWN.format(stage="approved") in bad.text
            assert stage(h, tid) == Stage.COLLECTED
            done = await post_form(
                http, "/office/ideas", f"/office/tickets/{tid}/idea", {"stage": "screened"}
            )
            assert done.status_code == 303 and stage(h, tid) == Stage.SCREENED
            await h.app.sender.flush()
            assert texts.R_IDEA_STAGE.format(id=tid, stage="初筛", reason="") in h.to("r1")
            await sign_in(h, http, "w1")
            assert (await http.get("/office/ideas")).status_code == 403
