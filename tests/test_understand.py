"""Free text is read before the menu; an owed 双是 answer is never buried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from handlers import texts
from handlers.understand import reader
from models import refdata
from models.tables import Category

from .harness import Harness
from .tgfake import GROUP_ID, Tg, report, setup_grid
from .wxfake import WxEnv, openid

pytestmark = pytest.mark.usefixtures("group_privacy")
GOLD = Path(__file__).parent / "data" / "intents.tsv"


def test_gold_set_accuracy() -> None:
    """≥95% of intents and answers right, the expected category in the top 3 for ≥85% of problems."""
    rows = [line.rstrip("\n").split("\t") for line in GOLD.read_text("utf-8").splitlines() if line[:1] != "#"]
    assert len(rows) >= 300
    r = reader()
    wrong: list[str] = []
    right = cats_right = cats = 0
    for context, text, expected, category in rows:
        if context == "free":
            understood = r.intent(text)
            got = understood.intent
            if expected == "problem":
                cats += 1
                top = [code for code, _ in r.categories(text)]
                if category in top:
                    cats_right += 1
                else:
                    wrong.append(f"category {text!r}: expected {category}, got {top}")
        else:
            got = r.answer(text, context) or "none"  # type: ignore[arg-type]
        if got == expected:
            right += 1
        else:
            wrong.append(f"{context} {text!r}: expected {expected}, got {got}")
    intents, top3 = right / len(rows), cats_right / cats
    print(f"\nintents/answers {intents:.1%} of {len(rows)}, top-3 categories {top3:.1%} of {cats}")
    print("confusions:\n" + "\n".join(wrong))
    assert intents >= 0.95 and top3 >= 0.85, wrong


@pytest.mark.parametrize("phrase", ["我想反映个问题", "我要反映问题", "投诉", "报修一下", "有个问题"])
async def test_a_wish_to_report_starts_the_wizard(h: Harness, phrase: str) -> None:
    """想反映 / 投诉 / 报修 start the report at the category question, not the menu."""
    out = await h.say(f"r1: {phrase}")
    assert h.to("r1", out) == [texts.ASK_CATEGORY]


async def test_a_question_about_my_tickets_lists_them(h: Harness) -> None:
    """我的工单怎么样了 lists the resident's tickets."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say("r1: 我的工单怎么样了")
    assert h.to("r1", out)[0].startswith(texts.MY_HEADER) and f"#{tid}" in h.to("r1", out)[0]


async def test_thanks_is_answered_kindly(h: Harness) -> None:
    """谢谢 gets 不客气 with the menu."""
    assert h.to("r1", await h.say("r1: 谢谢师傅")) == [texts.WELCOME_THANKS]


async def test_a_one_message_report_keeps_its_description(h: Harness) -> None:
    """A complaint in one message starts the wizard with it as the description and suggests categories."""
    description = "楼道灯坏了好几天了，现代花园3幢"
    out = await h.say(f"r1: {description}")
    [ask] = out
    assert ask["text"] == texts.SUGGEST_CATEGORY.format(description=description)
    assert "物业/其他物业问题" in ask["buttons"]
    assert ask["buttons"][-2:] == [texts.BTN_NONE_OF_THESE, texts.BTN_CANCEL]
    out = await h.say("r1: [tap 物业/其他物业问题]")
    assert h.to("r1", out) == [texts.ASK_PHOTO]  # the description is not asked again
    await h.run("r1: [tap 跳过]", "r1: [location 29.3451,120.0752]", "r1: [tap 跳过]")
    out = await h.say("r1: [tap 确认提交]")
    assert h.to("r1", out)[0].startswith("已受理！工单编号 #1")
    t = h.ticket(1)
    assert (t.category_code, t.description) == ("property-other", description)


async def test_none_of_these_opens_the_category_tree(h: Harness) -> None:
    """都不是 shows the whole tree; the chosen category goes straight on to the photo."""
    await h.say("r1: 小区门口的路灯坏了晚上黑漆漆的")
    assert h.to("r1", await h.say("r1: [tap 都不是]")) == [texts.ASK_CATEGORY]
    await h.say("r1: [tap 其他]")
    assert h.last("r1")["text"] == texts.ASK_PHOTO


async def test_text_that_means_nothing_gets_the_menu_saying_so(h: Harness) -> None:
    """Only text that is none of these gets the menu, and the reply says it was not understood."""
    out = await h.say("r1: 哈哈哈")
    assert h.to("r1", out) == [texts.UNDERSTOOD_NOTHING.format(text="哈哈哈")]
    assert out[0]["buttons"] == [texts.BTN_REPORT, texts.BTN_MY, texts.BTN_HELP]


@pytest.mark.parametrize(
    ("first", "second", "rating"),
    [
        ("是的", "满意", "double_yes"),
        ("对", "挺好", "double_yes"),
        ("嗯嗯 解决了", "还行", "double_yes"),
        ("好了", "不满意", "unsatisfied"),
        ("解决了", "太慢", "unsatisfied"),
    ],
)
async def test_typed_followup_answers(h: Harness, first: str, second: str, rating: str) -> None:
    """是的 / 对 / 嗯嗯 解决了 / 好了 answer 解决了吗; 满意 / 挺好 / 还行 / 不满意 / 太慢 answer 满意吗."""
    tid = await h.quick_resolved()
    await h.say("r1: /my")  # other buttons now stand between the question and the answer
    out = await h.say(f"r1: {first}")
    assert h.to("r1", out) == [texts.R_ASK_SATISFIED]
    await h.say(f"r1: {second}")
    assert (h.ticket(tid).status, h.ticket(tid).rating) == ("closed", rating)


@pytest.mark.parametrize("answer", ["否", "不是", "没有", "没解决", "还没"])
async def test_typed_no_reopens(h: Harness, answer: str) -> None:
    """否 / 不是 / 没有 / 没解决 / 还没 send the ticket back to the worker."""
    tid = await h.quick_resolved()
    await h.say(f"r1: {answer}")
    assert h.ticket(tid).status == "claimed" and h.ticket(tid).reopen_count == 1


async def test_other_text_re_asks_the_pending_question_never_the_menu(h: Harness) -> None:
    """Anything else while 解决了吗 is owed re-asks it with its buttons; a later 是 still counts."""
    tid = await h.quick_resolved()
    out = await h.say("r1: 你好")
    assert [(m["text"], m["buttons"]) for m in out] == [
        (texts.REASK_RESOLVED.format(id=tid), [texts.BTN_YES, texts.BTN_NO])
    ]
    await h.say("r1: 是")
    out = await h.say("r1: 什么时候能有结果")
    assert [(m["text"], m["buttons"]) for m in out] == [
        (texts.REASK_SATISFIED.format(id=tid), [texts.BTN_SATISFIED, texts.BTN_UNSATISFIED])
    ]
    await h.say("r1: 满意")
    assert h.ticket(tid).rating == "double_yes"


async def test_wechat_intent_and_buried_question(wx: WxEnv) -> None:
    """On WeChat: 我想反映个问题 starts the wizard; a pending 是/否 survives chatter and takes numbers."""
    r1, w1 = openid("r1"), openid("w1")
    assert (await wx.text(r1, "我想反映个问题")).startswith(texts.ASK_CATEGORY)
    await wx.text(r1, "/cancel")
    described = await wx.text(r1, "电梯又坏了老人上不了楼")
    assert described.startswith(texts.SUGGEST_CATEGORY.format(description="电梯又坏了老人上不了楼"))
    assert "回复 1：物业/电梯" in described
    for step in ("1", "跳过"):
        await wx.text(r1, step)
    await wx.location(r1, 29.3451, 120.0752)
    await wx.text(r1, "跳过")
    assert (await wx.text(r1, "1")).startswith("已受理！工单编号 #1。")
    await wx.text(w1, "你好")
    await wx.text(openid("admin"), f"/grant {w1} worker siji-1")
    await wx.text(w1, "抢单１")
    assert await wx.text(w1, "办结：1，已修复") == texts.RESOLVE_DONE.format(id=1)
    again = await wx.text(r1, "你们好")
    assert again.startswith(texts.REASK_RESOLVED.format(id=1)) and "回复 1：是" in again
    assert (await wx.text(r1, "1")).startswith(texts.R_ASK_SATISFIED)
    assert (await wx.text(r1, "挺好的")).startswith("感谢您的确认！工单 #1 已销号。")


async def test_telegram_intent_and_buried_question(tg: Tg) -> None:
    """On Telegram: 投诉 starts the wizard; 嗯嗯 解决了 and 还行 typed later still close the ticket 双是."""
    c = await setup_grid(tg)
    u, r1 = tg.u, c.r1
    await tg.send(u.text(r1, "投诉"))
    assert tg.api.texts(r1["id"])[-1] == texts.ASK_CATEGORY
    await tg.send(u.text(r1, "/cancel"))
    tid = await report(tg, r1)
    await tg.tap(c.w1, GROUP_ID, "抢单")
    await tg.send(u.text(c.w1, f"办结：{tid}，已修复"))
    await tg.send(u.text(r1, "在吗"))
    assert tg.api.texts(r1["id"])[-1] == texts.REASK_RESOLVED.format(id=tid)
    await tg.send(u.text(r1, "嗯嗯 解决了"))
    await tg.send(u.text(r1, "还行"))
    assert tg.api.texts(r1["id"])[-1].startswith(f"感谢您的确认！工单 #{tid} 已销号。")


async def test_emoji_only_description_is_asked_for_in_words(h: Harness) -> None:
    """😡😡😡😡 is not a description: the resident is asked for words and stays at the step."""
    await h.run("r1: /report", "r1: [tap 其他]")
    assert h.to("r1", await h.say("r1: 😡😡😡😡")) == [texts.DESCRIPTION_EMPTY]
    assert h.to("r1", await h.say("r1: 门口那个铁皮箱子好几年没人管")) == [texts.ASK_PHOTO]


@pytest.mark.parametrize("words", ["不留了", "不用", "算了"])
async def test_no_thanks_at_an_optional_step_means_skip(h: Harness, words: str) -> None:
    """不留了 / 不用 / 算了 at the photo and phone steps skip them instead of 电话号码格式不对."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 门口那个铁皮箱子好几年没人管")
    assert h.to("r1", await h.say(f"r1: {words}")) == [texts.ASK_LOCATION]
    await h.say("r1: [location 29.3451,120.0752]")
    out = await h.say(f"r1: {words}")
    assert h.to("r1", out)[0].startswith(texts.CONFIRM.split("{")[0])


async def test_the_catalogue_files_keywords_suggest_its_items(h: Harness) -> None:
    """A keyword the office adds to an item in its catalogue file makes that item a suggestion."""
    description = "电梯里的广告位收入去哪了也不公示"
    item = "物业/物业费/公共收益公开"

    def add_keyword(s: Any) -> None:
        cat = s.scalar(select(Category).where(Category.code == "fee-public-income"))
        cat.keywords = [*(cat.keywords or []), "广告位"]
        refdata.forget(s)  # as `jiesu catalogue` does after an import

    before = await h.say(f"r1: {description}")
    assert item not in before[0]["buttons"]
    await h.say("r1: [tap ✖️ 取消]")
    h.query(add_keyword)
    after = await h.say(f"r1: {description}")
    assert after[0]["text"] == texts.SUGGEST_CATEGORY.format(description=description)
    assert item in after[0]["buttons"]
    await h.say(f"r1: [tap {item}]")
    assert h.last("r1")["text"] == texts.ASK_PHOTO
