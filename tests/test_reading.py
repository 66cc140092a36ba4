"""Free text read by the trained reader: ask when unsure, withdrawals and reasons, workers, English."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from handlers import reading, texts
from handlers.reader import read
from models.tables import Outbox, Ticket, TicketEvent

from .harness import Harness
from .tgfake import GROUP_ID, Tg, report, setup_grid
from .wxfake import WxEnv, openid

pytestmark = pytest.mark.usefixtures("group_privacy")
MEANT = [texts.BTN_MEANT_PROBLEM, texts.BTN_MEANT_STATUS, texts.BTN_MEANT_WITHDRAW, texts.BTN_MEANT_NONE]


def state(h: Harness) -> tuple[Any, ...]:
    """What a message that must change nothing leaves as it was: every ticket and the trail."""

    def look(s: Any) -> tuple[Any, ...]:
        rows = [
            (t.id, t.status, t.handler_id, t.reopen_count)
            for t in s.scalars(select(Ticket).order_by(Ticket.id))
        ]
        return (rows, s.scalar(select(func.count()).select_from(TicketEvent)))

    return h.query(look)  # type: ignore[no-any-return]


def trail(h: Harness, ticket_id: int) -> list[tuple[str, str | None]]:
    """(kind, note) of a ticket's events, oldest first."""
    return h.query(  # type: ignore[no-any-return]
        lambda s: [
            (e.kind, e.note)
            for e in s.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
            )
        ]
    )


# --- not sure: one question, nothing changed ----------------------------------------------------

UNSURE = ["咋回事", "麻烦看看", "那事儿", "有人吗那个事", "门口那个", "is it fixed?"]


@pytest.mark.parametrize("text", UNSURE)
async def test_an_unsure_message_is_asked_about_and_changes_nothing(h: Harness, text: str) -> None:
    """Below the threshold the reply is one short question with the three choices; no ticket moves."""
    assert not read(text).sure or read(text).categories[0][1] < reading.VAGUE
    await h.quick_grid()
    tid = await h.quick_report()
    before = state(h)
    [asked] = await h.say(f"r1: {text}")
    english = "\n" + texts.ENGLISH["ask"] if reading.english(text) else ""
    assert (asked["text"], asked["buttons"]) == (texts.MEANT_ASK + english, MEANT)
    assert state(h) == before and h.ticket(tid).status == "open"


async def test_each_choice_of_the_question_does_what_it_says(h: Harness) -> None:
    """① reports with the words kept, ② lists the tickets, ③ asks which to withdraw, 都不是 shows the menu."""
    await h.quick_grid()
    tid = await h.quick_report()
    await h.say("r1: 咋回事")
    out = await h.say(f"r1: [tap {texts.BTN_MEANT_STATUS}]")
    assert h.to("r1", out)[0].startswith(texts.MY_HEADER) and f"#{tid}" in h.to("r1", out)[0]
    await h.say("r1: 那事儿")
    [ask] = await h.say(f"r1: [tap {texts.BTN_MEANT_WITHDRAW}]")
    assert ask["text"].startswith(f"确认撤回工单 #{tid}") and h.ticket(tid).status == "open"
    await h.say("r1: 麻烦看看")
    [menu] = await h.say(f"r1: [tap {texts.BTN_MEANT_NONE}]")
    assert menu["buttons"] == [texts.BTN_REPORT, texts.BTN_MY, texts.BTN_HELP]
    words = "门口那个"
    await h.say(f"r1: {words}")
    out = await h.say(f"r1: [tap {texts.BTN_MEANT_PROBLEM}]")
    assert h.to("r1", out)[0] in (
        texts.SUGGEST_CATEGORY.format(description=words),
        texts.SUGGEST_NO_CATEGORY.format(description=words),
    )


async def test_a_stale_choice_with_no_words_kept_starts_a_plain_report(h: Harness) -> None:
    """① pressed again after its words were used starts the report at its first question, nothing else."""
    await h.say("r1: 咋回事")
    await h.say(f"r1: [tap {texts.BTN_MEANT_NONE}]")
    _, out = await h.send("r1", payload="mt:problem", text="")
    assert h.to("r1", out) == [texts.ASK_CATEGORY]


# --- 双是 answers with a reason ------------------------------------------------------------------

REASONS = [
    "做了但没做好",
    "还是老样子",
    "又坏了",
    "没有，灯还是不亮",
    "修是修了 过两天又漏水了",
    "根本没人来看过",
]


@pytest.mark.parametrize("said", REASONS)
async def test_a_no_with_a_reason_reopens_and_the_handler_reads_it(h: Harness, said: str) -> None:
    """After 解决了吗 a no with words reopens the ticket; the handler's notice and the trail quote them."""
    tid = await h.quick_resolved()
    out = await h.say(f"r1: {said}")
    t = h.ticket(tid)
    assert (t.status, t.reopen_count) == ("claimed", 1)
    assert texts.W_REOPENED_REASON.format(id=tid, reason=said) in h.to("w1", out)
    assert trail(h, tid)[-1] == ("reopened", said)
    status = h.to("r1", await h.say(f"r1: /status {tid}"))[0]
    assert said in status


async def test_a_bare_no_reopens_without_a_quote(h: Harness) -> None:
    """否 alone reopens with the plain notice: there are no words to carry."""
    tid = await h.quick_resolved()
    out = await h.say("r1: 否")
    assert texts.W_REOPENED.format(id=tid) in h.to("w1", out)
    assert trail(h, tid)[-1] == ("reopened", None)


@pytest.mark.parametrize("said", ["又坏了", "还是老样子，根本没修好"])
async def test_broken_again_after_the_satisfaction_question_reopens(h: Harness, said: str) -> None:
    """满意吗 answered "又坏了" is not only a rating: the problem is back, so the ticket goes back."""
    tid = await h.quick_resolved()
    await h.say("r1: 是")
    assert h.ticket(tid).followup_stage == 2
    out = await h.say(f"r1: {said}")
    assert (h.ticket(tid).status, h.ticket(tid).rating) == ("claimed", None)
    assert texts.W_REOPENED_REASON.format(id=tid, reason=said) in h.to("w1", out)


async def test_a_plain_unsatisfied_still_closes(h: Harness) -> None:
    """不满意 after 满意吗 closes the ticket as unsatisfied, as before."""
    tid = await h.quick_resolved()
    await h.run("r1: 是", "r1: 不满意")
    assert (h.ticket(tid).status, h.ticket(tid).rating) == ("closed", "unsatisfied")


# --- withdrawing in words ------------------------------------------------------------------------

WITHDRAW = [
    "不用管了，我自己弄好了",
    "帮我撤了吧",
    "这个单子不要了 取消掉",
    "不麻烦你们了，我撤回",
    "那个反映就算了不用来了",
]


@pytest.mark.parametrize("said", WITHDRAW)
async def test_a_withdrawal_in_words_is_confirmed_with_the_ticket_named(h: Harness, said: str) -> None:
    """The ticket is named and kept until 确认撤回 is tapped; then it is withdrawn."""
    await h.quick_grid()
    tid = await h.quick_report()
    [ask] = await h.say(f"r1: {said}")
    assert ask["text"].startswith(f"确认撤回工单 #{tid}（大城管/道路破损：")
    assert ask["buttons"] == [texts.BTN_WITHDRAW_YES.format(id=tid), texts.BTN_KEEP]
    assert h.ticket(tid).status == "open"
    out = await h.say(f"r1: [tap {texts.BTN_WITHDRAW_YES.format(id=tid)}]")
    assert texts.WITHDRAW_CONFIRMED.format(id=tid) in h.to("r1", out)
    assert h.ticket(tid).status == "withdrawn"


async def test_keeping_it_changes_nothing(h: Harness) -> None:
    """不用了 under the confirmation leaves the ticket as it was and says so."""
    await h.quick_grid()
    tid = await h.quick_report()
    await h.say("r1: 帮我撤了吧")
    before = state(h)
    assert h.to("r1", await h.say(f"r1: [tap {texts.BTN_KEEP}]")) == [texts.KEPT]
    assert state(h) == before and h.ticket(tid).status == "open"


async def test_with_several_tickets_the_resident_picks_which(h: Harness) -> None:
    """Two open tickets: both are offered by number and category; only the one picked is withdrawn."""
    await h.quick_grid()
    first = await h.quick_report()
    second = await h.quick_report(category="sanitation", description="小区门口的垃圾桶满了三天没人清")
    [ask] = await h.say("r1: 不用管了，我自己弄好了")
    assert ask["text"] == texts.WITHDRAW_WHICH.format(count=2)
    assert [b.split(" ")[:2] for b in ask["buttons"][:2]] == [["撤回", f"#{second}"], ["撤回", f"#{first}"]]
    await h.say(f"r1: [tap {ask['buttons'][1]}]")
    assert (h.ticket(first).status, h.ticket(second).status) == ("withdrawn", "open")


async def test_a_withdrawal_with_nothing_to_withdraw_says_so(h: Harness) -> None:
    """No open ticket: a clear answer, nothing asked, nothing changed."""
    before = state(h)
    assert h.to("r1", await h.say("r1: 帮我撤了吧")) == [texts.WITHDRAW_NONE]
    assert state(h) == before


async def test_naming_someone_elses_ticket_is_refused(h: Harness) -> None:
    """撤回 another resident's ticket in words: refused as the command would be, the ticket stays."""
    await h.quick_grid()
    tid = await h.quick_report("r2")
    out = await h.say(f"r1: 帮我把{tid}号单撤了吧")
    assert h.to("r1", out) == [texts.NOT_FOUND.format(id=tid)]
    assert h.ticket(tid).status == "open"


async def test_a_stale_withdraw_button_changes_nothing(h: Harness) -> None:
    """确认撤回 tapped after the ticket was resolved is refused; the ticket stays resolved."""
    tid = await h.quick_claimed()
    await h.say("r1: 帮我撤了吧")
    await h.say(f"w1: 办结 {tid} 已修复")
    before = state(h)
    result, _ = await h.send("r1", payload=f"wd:{tid}", text="")
    assert result.alert and h.ticket(tid).status == "resolved" and state(h) == before


# --- status in words -----------------------------------------------------------------------------


@pytest.mark.parametrize("said", ["那个事有下文没", "我反映的事怎么样了", "上次说的事情办得咋样了"])
async def test_status_in_words_lists_the_tickets(h: Harness, said: str) -> None:
    """那个事有下文没 and its kind answer with the resident's tickets."""
    await h.quick_grid()
    tid = await h.quick_report()
    reply = h.to("r1", await h.say(f"r1: {said}"))[0]
    assert reply.startswith(texts.MY_HEADER) and f"#{tid}" in reply


async def test_status_in_words_with_a_number_shows_that_ticket(h: Harness) -> None:
    """ "N号单怎么样了" shows ticket N."""
    await h.quick_grid()
    tid = await h.quick_report()
    reply = h.to("r1", await h.say(f"r1: {tid}号单现在怎么样了"))[0]
    assert reply.startswith(f"工单 #{tid}\n类别：")


# --- workers in their own words -------------------------------------------------------------------

RESOLVED = [
    "{id}号搞定了 垃圾清走了",
    "{id}号单已经处理好了，现场清理干净",
    "#{id} 修好了 灯亮了",
    "{id}号完成了 居民也看过了",
]


@pytest.mark.parametrize("said", RESOLVED)
async def test_a_workers_done_in_words_resolves_his_ticket(h: Harness, said: str) -> None:
    """ "N号搞定了 …" in private resolves N with his words; no report is opened for him."""
    tid = await h.quick_claimed()
    tickets_before = h.count(Ticket)
    out = await h.say("w1: " + said.format(id=tid))
    assert texts.RESOLVE_DONE.format(id=tid) in h.to("w1", out)
    t = h.ticket(tid)
    assert t.status == "resolved" and t.resolution_note and str(tid) not in t.resolution_note[:2]
    assert h.count(Ticket) == tickets_before
    assert not any(m["text"].startswith("收到，已记下您的描述") for m in out)


async def test_done_without_a_number_is_confirmed_with_his_ticket_named(h: Harness) -> None:
    """ "搞定了，已经清理" names no ticket: his one ticket is named, resolved only after the tap."""
    tid = await h.quick_claimed()
    [ask] = await h.say("w1: 都弄好了，现场已经清理完了")
    assert ask["text"].startswith(f"要把工单 #{tid}（大城管/道路破损）办结吗？")
    assert h.ticket(tid).status == "claimed"
    await h.say(f"w1: [tap {texts.BTN_WORKER_RESOLVE.format(id=tid)}]")
    assert h.ticket(tid).status == "resolved"


async def test_done_with_several_tickets_asks_which(h: Harness) -> None:
    """Two tickets in hand and no number: he picks one; the other stays claimed."""
    first = await h.quick_claimed()
    second = await h.quick_report(description="小区门口的垃圾桶满了三天没人清", category="sanitation")
    await h.say(f"w1: 抢单 {second}")
    [ask] = await h.say("w1: 已经处理完毕了")
    assert ask["text"] == texts.WORKER_WHICH.format(count=2)
    assert [b.split(" ")[0] for b in ask["buttons"]] == [f"#{second}", f"#{first}", texts.BTN_KEEP]
    await h.say(f"w1: [tap {ask['buttons'][1]}]")
    assert (h.ticket(first).status, h.ticket(second).status) == ("resolved", "claimed")


async def test_done_for_a_ticket_not_his_is_confirmed_then_refused(h: Harness) -> None:
    """ "N号搞定了" for w2's ticket: w1 is asked, and the tap is refused; the ticket stays w2's."""
    tid = await h.quick_claimed(worker="w2")
    [ask] = await h.say(f"w1: {tid}号搞定了")
    assert ask["text"].startswith(f"要把工单 #{tid}")
    before = state(h)
    out = await h.say(f"w1: [tap {texts.BTN_WORKER_RESOLVE.format(id=tid)}]")
    assert out and state(h) == before and h.ticket(tid).status == "claimed"


async def test_progress_in_words_is_recorded(h: Harness) -> None:
    """ "N号 明天上午去修" records progress and the resident hears it."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: {tid}号 明天上午带工具去修")
    assert texts.NOTE_DONE.format(id=tid) in h.to("w1", out)
    assert any("有新进展" in m for m in h.to("r1", out))


async def test_a_forged_worker_button_is_refused(h: Harness) -> None:
    """A worker button for a ticket that does not exist, without words kept, changes nothing."""
    await h.quick_claimed()
    before = state(h)
    for payload in ("wk:resolve:999", "wk:grab:999", "wk:explode:1", "wd:0", "mt:nothing"):
        result, _ = await h.send("w1", payload=payload, text="")
        assert result.alert, payload
    assert state(h) == before


@pytest.mark.parametrize("said", ["{id}号单我接了", "{id}号我来处理", "我接{id}号", "{id}号我去"])
async def test_a_grab_in_words_in_the_group(h: Harness, said: str) -> None:
    """ "N号单我接了" in the grid's group grabs N, as 抢单 N does."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say("w1@siji1: " + said.format(id=tid))
    assert h.ticket(tid).status == "claimed"
    assert texts.GRAB_WON.format(id=tid) in h.to("@siji1", out)


async def test_a_grab_in_words_without_a_number_gets_a_clear_reply(h: Harness) -> None:
    """ "这单我接了" names no ticket: the worker is told how to name it; nothing is grabbed."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say("w1@siji1: 这单我接了")
    assert h.to("@siji1", out) == [texts.WORKER_GRAB_NUMBER]
    assert h.ticket(tid).status == "open"


async def test_a_grab_in_words_from_a_resident_is_refused_in_words(h: Harness) -> None:
    """A neighbour without the role writing "N号单我接了" is told so; the ticket stays open."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say(f"r2@siji1: {tid}号单我接了")
    assert h.to("@siji1", out) and h.ticket(tid).status == "open"


async def test_group_chatter_is_left_alone(h: Harness) -> None:
    """Neighbours' and workers' small talk in the group gets no reply."""
    await h.quick_grid()
    out = await h.run("w1@siji1: 今天天气不错", "r2@siji1: 大家晚上好", "w1@siji1: 收到")
    assert h.to("@siji1", out) == []


# --- simple English -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "said",
    [
        "the garbage near my shop not collected 3 days",
        "street light broken outside building 5",
        "water leaking from the ceiling",
    ],
)
async def test_an_english_report_starts_the_wizard_with_an_english_line(h: Harness, said: str) -> None:
    """An English problem keeps its words as the description; the Chinese reply has one English line."""
    [ask] = await h.say(f"r1: {said}")
    assert ask["text"] == texts.SUGGEST_CATEGORY.format(description=said) + "\n" + texts.ENGLISH["problem"]
    assert len(ask["buttons"]) > 2


@pytest.mark.parametrize(
    "said", ["how is my complaint going", "any news about my report?", "what happened to my problem"]
)
async def test_an_english_status_question_lists_the_tickets(h: Harness, said: str) -> None:
    """How is my complaint going: the list, in Chinese, with the English line."""
    await h.quick_grid()
    tid = await h.quick_report()
    reply = h.to("r1", await h.say(f"r1: {said}"))[0]
    assert reply.startswith(texts.MY_HEADER) and f"#{tid}" in reply
    assert reply.endswith("\n" + texts.ENGLISH["status"])


async def test_english_yes_and_no_answer_the_followup(h: Harness) -> None:
    """ "no, still broken" reopens with the reason; later "yes it's fixed" and "yes" close it 双是."""
    tid = await h.quick_resolved()
    out = await h.say("r1: no, still broken")
    assert h.ticket(tid).status == "claimed"
    assert texts.W_REOPENED_REASON.format(id=tid, reason="no, still broken") in h.to("w1", out)
    assert h.to("r1", out)[0].endswith("\n" + texts.ENGLISH["answer"])
    await h.say(f"w1: 办结 {tid} 换了新灯")
    out = await h.say("r1: yes it's fixed now")
    assert h.to("r1", out) == [texts.R_ASK_SATISFIED + "\n" + texts.ENGLISH["answer"]]
    await h.say("r1: yes")
    assert (h.ticket(tid).status, h.ticket(tid).rating) == ("closed", "double_yes")


async def test_english_that_means_nothing_says_so_in_both(h: Harness) -> None:
    """English chatter gets the not-understood reply with the menu and the English line."""
    [reply] = await h.say("r1: lol whatever")
    assert reply["text"].endswith("\n" + texts.ENGLISH["nothing"])
    assert reply["buttons"] == [texts.BTN_REPORT, texts.BTN_MY, texts.BTN_HELP]


def test_what_counts_as_english() -> None:
    """Latin words without Chinese are English; ok, 好的 ok and digits are not."""
    assert reading.english("how is my complaint going") and reading.english("no")
    assert not reading.english("ok") and not reading.english("好的 ok") and not reading.english("12345")


# --- the chat channels ----------------------------------------------------------------------------


async def test_wechat_numbered_options_for_the_question_and_the_withdrawal(wx: WxEnv) -> None:
    """On WeChat the choices are numbered lines; "3" picks 撤回, then "1" confirms it, naming the ticket."""
    r1 = openid("r1")
    assert (await wx.text(r1, "电梯又坏了老人上不了楼")).startswith("收到，已记下您的描述")
    for step in ("1", "跳过"):
        await wx.text(r1, step)
    await wx.location(r1, 29.3451, 120.0752)
    await wx.text(r1, "跳过")
    assert (await wx.text(r1, "1")).startswith("已受理！工单编号 #1。")
    asked = await wx.text(r1, "那事儿")
    assert asked.startswith(texts.MEANT_ASK) and f"回复 3：{texts.BTN_MEANT_WITHDRAW}" in asked
    confirm = await wx.text(r1, "3")
    assert (
        confirm.startswith("确认撤回工单 #1") and f"回复 1：{texts.BTN_WITHDRAW_YES.format(id=1)}" in confirm
    )
    assert (await wx.text(r1, "1")).startswith(texts.WITHDRAW_CONFIRMED.format(id=1))
    english = await wx.text(r1, "how is my complaint going")
    assert english.startswith(texts.MY_HEADER) and texts.ENGLISH["status"] in english


async def test_telegram_group_grab_and_private_done_in_words(tg: Tg) -> None:
    """Telegram: "N号单我接了" in the group grabs; "N号搞定了 …" in private resolves; no report opens."""
    c = await setup_grid(tg)
    u = tg.u
    tid = await report(tg, c.r1)
    await tg.send(u.text(c.w1, f"{tid}号单我接了", chat=c.group))
    assert tg.api.texts(GROUP_ID)[-1] == texts.GRAB_WON.format(id=tid)
    await tg.send(u.text(c.w1, f"{tid}号搞定了 路面已经补平"))
    assert tg.api.texts(c.w1["id"])[-1] == texts.RESOLVE_DONE.format(id=tid)

    def look(s: Any) -> tuple[Any, ...]:
        t = s.get(Ticket, tid)
        return (t.status, t.resolution_note, s.scalar(select(func.count()).select_from(Ticket)))

    assert tg.query(look) == ("resolved", "搞定了 路面已经补平", 1)
    await tg.send(u.text(c.r1, "还是老样子"))
    assert tg.api.texts(c.w1["id"])[-1] == texts.W_REOPENED_REASON.format(id=tid, reason="还是老样子")
    assert tg.query(lambda s: s.scalar(select(func.count()).select_from(Outbox)))


async def test_telegram_unsure_question_and_withdrawal_by_buttons(tg: Tg) -> None:
    """Telegram: the question comes with inline buttons; ③ then 确认撤回 withdraw the one ticket named."""
    c = await setup_grid(tg)
    u, r1 = tg.u, c.r1
    tid = await report(tg, c.r1)
    await tg.send(u.text(r1, "那事儿"))
    asked = tg.api.latest_with_buttons(r1["id"])
    assert asked["text"] == texts.MEANT_ASK
    labels = [b["text"] for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == MEANT
    await tg.tap(r1, r1["id"], texts.BTN_MEANT_WITHDRAW)
    assert tg.api.texts(r1["id"])[-1].startswith(f"确认撤回工单 #{tid}")
    assert tg.query(lambda s: s.get(Ticket, tid).status) == "open"
    await tg.tap(r1, r1["id"], texts.BTN_WITHDRAW_YES.format(id=tid))
    assert tg.query(lambda s: s.get(Ticket, tid).status) == "withdrawn"
    await tg.send(u.text(c.w1, "这单我接了", chat=c.group))
    assert tg.api.texts(GROUP_ID)[-1] == texts.WORKER_GRAB_NUMBER


async def test_done_in_words_in_the_group_changes_nothing_and_says_where(h: Harness) -> None:
    """ "N号搞定了" in the group resolves nothing: the worker is told in private to write it there."""
    tid = await h.quick_claimed()
    before = state(h)
    out = await h.say(f"w1@siji1: {tid}号搞定了 路面补好了")
    assert state(h) == before
    assert h.to("@siji1", out) == [texts.GROUP_ANSWERED_PRIVATELY.format(name="w1")]
    assert h.to("w1", out) == [texts.WORKER_IN_GROUP.format(id=tid)]
    out = await h.say(f"w1: {tid}号搞定了 路面补好了")
    assert (h.ticket(tid).status, h.ticket(tid).resolution_note) == ("resolved", "搞定了 路面补好了")
