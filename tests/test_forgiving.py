"""The wizard forgives — a description in two messages, /report mid-report, idle drafts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers import texts

from .harness import Harness

pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_second_half_of_the_description_at_the_photo_step_is_added(h: Harness) -> None:
    """Text at the photo step within 2 minutes is appended, the resident is told, the step re-asked."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 门口那个铁皮箱子好几年了")
    h.clock.advance(timedelta(seconds=40))
    out = await h.say("r1: 就在现代花园3幢北边")
    joined = "门口那个铁皮箱子好几年了，就在现代花园3幢北边"
    assert h.to("r1", out) == [texts.DESCRIPTION_APPENDED.format(description=joined), texts.ASK_PHOTO]
    await h.run("r1: [tap 跳过]", "r1: [location 29.3451,120.0752]", "r1: [tap 跳过]", "r1: [tap 确认提交]")
    assert h.ticket(1).description == joined


async def test_text_at_the_photo_step_later_is_not_added(h: Harness) -> None:
    """After 2 minutes, text at the photo step is not taken as more description: a photo is asked for."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 门口那个铁皮箱子好几年了")
    h.clock.advance(timedelta(minutes=3))
    assert h.to("r1", await h.say("r1: 就在现代花园3幢北边")) == [texts.PHOTO_EXPECTED]


async def test_a_one_message_report_continued_at_the_suggestions(h: Harness) -> None:
    """A complaint in two messages before any category is chosen: both halves make the description."""
    await h.say("r1: 楼道灯坏了好几天了")
    out = await h.say("r1: 现代花园3幢")
    joined = "楼道灯坏了好几天了，现代花园3幢"
    assert h.to("r1", out)[0] == texts.DESCRIPTION_APPENDED.format(description=joined)
    assert "物业/其他物业问题" in out[-1]["buttons"]
    await h.say("r1: [tap 物业/其他物业问题]")
    assert h.last("r1")["text"] == texts.ASK_PHOTO


async def test_an_address_at_the_location_step_stays_an_address(h: Harness) -> None:
    """At the location step a typed address is the address, even within 2 minutes."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 门口那个铁皮箱子好几年了", "r1: [tap 跳过]")
    assert h.to("r1", await h.say("r1: 春晗路12号3单元")) == [texts.ASK_COMMUNITY]


@pytest.mark.parametrize("command", ["/report", "/start"])
async def test_report_or_start_mid_report_asks_continue_or_restart(h: Harness, command: str) -> None:
    """/report or /start mid-report asks; 继续刚才的 re-asks the step, 重新开始 starts from the category."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 门口那个铁皮箱子好几年了")
    out = await h.say(f"r1: {command}")
    assert [(m["text"], m["buttons"]) for m in out] == [
        (texts.RESUME_OR_RESTART, [texts.BTN_RESUME, texts.BTN_RESTART])
    ]
    assert h.to("r1", await h.say("r1: [tap 继续刚才的]")) == [texts.ASK_PHOTO]
    await h.say(f"r1: {command}")
    assert h.to("r1", await h.say("r1: [tap 重新开始]")) == [texts.ASK_CATEGORY]


async def test_idle_draft_is_reminded_once_then_dropped_after_a_day(h: Harness) -> None:
    """30 idle minutes: one reminder; 24 hours: the draft is dropped with a message."""
    await h.run("r1: /report", "r1: [tap 其他]")
    assert h.to("r1", await h.advance(timedelta(minutes=25))) == []
    assert h.to("r1", await h.advance(timedelta(minutes=10))) == [texts.DRAFT_REMINDER]
    assert h.to("r1", await h.advance(timedelta(hours=3))) == []
    assert h.to("r1", await h.advance(timedelta(hours=21))) == [texts.DRAFT_DROPPED]
    assert h.to("r1", await h.say("r1: 你好"))[0].startswith("您好！")


async def test_a_reminded_draft_that_goes_on_is_not_dropped(h: Harness) -> None:
    """Answering after the reminder carries on; the next idle spell gets its own reminder."""
    await h.run("r1: /report", "r1: [tap 其他]")
    await h.advance(timedelta(minutes=35))
    assert h.to("r1", await h.say("r1: 门口那个铁皮箱子好几年了")) == [texts.ASK_PHOTO]
    assert h.to("r1", await h.advance(timedelta(minutes=35))) == [texts.DRAFT_REMINDER]


@pytest.mark.parametrize("words", ["是的", "确认", "提交吧"])
async def test_confirm_step_reads_a_typed_yes(h: Harness, words: str) -> None:
    """At the confirm step 是的 / 确认 / 提交吧 submit; other text re-asks with the buttons."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 门口那个铁皮箱子好几年了", "r1: [tap 跳过]")
    await h.run("r1: [location 29.3451,120.0752]", "r1: [tap 跳过]")
    out = await h.say("r1: 等一下")
    assert [(m["text"], m["buttons"]) for m in out] == [
        (texts.CONFIRM_EXPECTED, [texts.BTN_SUBMIT, texts.BTN_BACK, texts.BTN_CANCEL])
    ]
    assert h.to("r1", await h.say(f"r1: {words}"))[0].startswith("已受理！工单编号 #1")
