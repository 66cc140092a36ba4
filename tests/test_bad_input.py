"""Bad input gets a clear answer and changes nothing: long text, odd Unicode, forged buttons, bad ids."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from handlers import texts
from models.tables import Dialog, Outbox, Person, Ticket, TicketEvent

from .harness import Harness

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


def dialog(h: Harness, user: str = "r1") -> tuple[str, dict[str, Any]]:
    """State and data of a resident's private dialog."""
    row = h.query(lambda s: s.get(Dialog, ("console", user, user)))
    return ("idle", {}) if row is None else (str(row.state), dict(row.data))


async def at_description(h: Harness, user: str = "r1") -> None:
    """Bring a resident's wizard to the description step."""
    await h.run(f"{user}: /report", f"{user}: [tap 其他]")


async def test_over_long_message_is_refused_before_anything_happens(h: Harness) -> None:
    """A message over 4000 characters is answered with the limit; no person, dialog or ticket is touched."""
    out = await h.say("nobody: " + "长" * 4001)
    assert out == [
        {"chat": "nobody", "text": texts.TOO_LONG.format(limit=4000), "buttons": [], "photo": None}
    ]
    assert h.query(lambda s: s.scalar(select(Person).where(Person.external_id == "nobody"))) is None
    await at_description(h)
    before = dialog(h)
    assert h.to("r1", await h.say("r1: " + "长" * 4001)) == [texts.TOO_LONG.format(limit=4000)]
    assert dialog(h) == before


async def test_over_long_description_note_address_and_name(h: Harness) -> None:
    """Each free-text field has its own limit and says it; the step or ticket is unchanged."""
    await at_description(h)
    assert h.to("r1", await h.say("r1: " + "坏" * 1001)) == [
        texts.DESCRIPTION_LONG.format(length=1001, max=1000)
    ]
    await h.run("r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    assert h.to("r1", await h.say("r1: " + "路" * 201)) == [texts.ADDRESS_LONG.format(max=200)]
    assert dialog(h)[0] == "location"
    await h.say("r1: /cancel")
    tid = await h.quick_claimed(user="r2")
    assert h.to("w1", await h.say(f"w1: 进展 {tid} " + "修" * 501)) == [texts.TOO_LONG.format(limit=500)]
    assert h.to("w1", await h.say(f"w1: 办结 {tid} " + "修" * 501)) == [texts.TOO_LONG.format(limit=500)]
    assert h.events(tid) == ["created", "grabbed"]
    await h.say("w1: /proxy")
    assert h.to("w1", await h.say("w1: " + "王" * 41)) == [texts.NAME_INVALID.format(max=40)]
    assert dialog(h, "w1")[0] == "proxy_name"


async def test_invisible_and_control_characters_are_stripped_emoji_and_chinese_kept(h: Harness) -> None:
    """Zero-width, bidi-override and control characters vanish from a description; Chinese and emoji stay."""
    await at_description(h)
    await h.say("r1: 路灯\u200b坏了\u202e很久\u202c了\u0007😀🚧 family 👨\u200d👩\u200d👧\ufeff")
    await h.run("r1: [tap 跳过]", "r1: [location 29.3451,120.0752]", "r1: [tap 跳过]", "r1: [tap 确认提交]")
    assert h.ticket(1).description == "路灯坏了很久了😀🚧 family 👨\u200d👩\u200d👧"


async def test_notes_reasons_and_names_are_cleaned_too(h: Harness) -> None:
    """Progress notes, reject reasons and display names lose bidi overrides and zero-width characters."""
    tid = await h.quick_claimed()
    await h.say(f"w1: 进展 {tid} 已联系\u202e施工队\u200b明天修")
    assert h.to("r1")[-1] == texts.R_NOTE.format(id=tid, note="已联系施工队明天修")
    other = await h.quick_report("r2")
    await h.say(f"admin: /reject {other} 重复\u2066反映\u2069")
    assert h.ticket(other).reason == "重复反映"
    await h.send("w9", text="你好", user_name="王\u202e五\u200b")
    assert h.query(lambda s: s.scalar(select(Person.name).where(Person.external_id == "w9"))) == "王五"


async def test_forged_payloads_outside_the_wizard_are_expired_buttons(h: Harness) -> None:
    """Garbage, wizard buttons outside the wizard and malformed ticket buttons get 'button expired'."""
    await h.quick_grid()
    tid = await h.quick_report()
    rows, events = h.count(Outbox), h.count(TicketEvent)
    for payload in (
        "xyz",
        "grab:abc",
        "grab:",
        "grab:-1",
        "menu:zzz",
        "wz:cat:road",
        "wz:submit",
        "fu1:1:x",
        "fu3:1:y",
        "",
    ):
        result, out = await h.send("w1", payload=payload)
        assert result.alert == texts.BUTTON_EXPIRED, payload
        assert out == [], payload
    assert (h.count(Outbox), h.count(TicketEvent)) == (rows, events)
    assert h.ticket(tid).status == "open"


async def test_forged_payload_for_a_missing_ticket(h: Harness) -> None:
    """A grab button for a ticket that does not exist answers 'not found'."""
    await h.quick_grid()
    result, out = await h.send("w1", group="siji1", payload="grab:999")
    assert (result.alert, out) == (texts.NOT_FOUND.format(id=999), [])


async def test_forged_wizard_buttons_inside_the_wizard_change_nothing(h: Harness) -> None:
    """A category outside the tree, a subcategory at the top level or a button of another step is refused."""
    await h.say("r1: /report")
    before = dialog(h)
    for payload in (
        "wz:cat:nope",
        "wz:cat:road",
        "wz:comm:siji",
        "wz:submit",
        "wz:skip",
        "wz:src:visit",
        "wz:",
    ):
        result, out = await h.send("r1", payload=payload)
        assert (result.alert, out) == (texts.BUTTON_EXPIRED, []), payload
        assert dialog(h) == before, payload
    await h.say("r1: [tap 大城管]")
    before = dialog(h)
    for payload in ("wz:cat:elevator", "wz:cat:city", "wz:comm:siji"):
        result, _ = await h.send("r1", payload=payload)
        assert result.alert == texts.BUTTON_EXPIRED, payload
        assert dialog(h) == before, payload
    await h.run("r1: [tap 道路破损]", "r1: 人行道坏了", "r1: [tap 跳过]", "r1: 春晗路1号")
    before = dialog(h)
    for payload in ("wz:comm:siji-1", "wz:comm:beiyuan", "wz:comm:dept-cg"):
        result, _ = await h.send("r1", payload=payload)
        assert result.alert == texts.BUTTON_EXPIRED, payload
        assert dialog(h) == before
    assert h.count(Ticket) == 0


async def test_forged_proxy_source_is_refused(h: Harness) -> None:
    """A proxy-source button that is not offered is refused and the step stays."""
    await h.quick_grid()
    await h.run("w1: /proxy", "w1: 王阿姨")
    result, _ = await h.send("w1", payload="wz:src:hacker")
    assert result.alert == texts.BUTTON_EXPIRED
    assert dialog(h, "w1")[0] == "proxy_source"


async def test_unknown_commands(h: Harness) -> None:
    """An unknown command is named back in private and ignored in groups."""
    assert h.to("r1", await h.say("r1: /frobnicate now")) == [
        texts.UNKNOWN_COMMAND.format(command="/frobnicate")
    ]
    assert await h.say("r1@g: /frobnicate") == []
    long_name = "x" * 60
    assert h.to("r1", await h.say(f"r1: /{long_name}")) == [
        texts.UNKNOWN_COMMAND.format(command="/" + "x" * 30)
    ]


async def test_malformed_ticket_ids(h: Harness) -> None:
    """Ids that are not whole numbers get the usage line; a well-formed unknown id is 'not found'."""
    await h.quick_grid()
    cases = {
        "w1: 抢单 abc": "抢单 编号",
        "w1: 见面 #x": "见面 编号",
        "w1: 办结 one 好了": "办结 编号 说明",
        "w1: 进展 1.5 好了": "进展 编号 内容",
        "w1: 抢单": "抢单 编号",
    }
    for line, usage in cases.items():
        assert h.to("w1", await h.say(line)) == [texts.USAGE.format(usage=usage)], line
    assert h.to("w1", await h.say("w1: 抢单 ９９９")) == [texts.NOT_FOUND.format(id=999)]


async def test_empty_and_non_text_messages_outside_the_wizard_greet(h: Harness, tmp_path: Any) -> None:
    """A sticker (no text), a stray location or a control-character-only message is answered with the menu."""
    for fields in (
        {"text": ""},
        {"location": (29.3, 120.0)},
        {"text": "\u200b\u202e\u0007"},
        {"contact": "13800138000"},
    ):
        _, out = await h.send("r1", **fields)
        assert out[-1]["text"].startswith("您好！"), fields
    assert h.count(Ticket) == 0


async def test_stray_non_image_file_outside_the_wizard(h: Harness, tmp_path: Any) -> None:
    """A document sent outside the wizard says photos only, then shows the menu."""
    doc = tmp_path / "a.txt"
    doc.write_text("hello")
    out = await h.say(f"r1: [photo {doc}]")
    assert [m["text"][:3] for m in out] == [texts.PHOTO_ONLY[:3], "您好！"]
