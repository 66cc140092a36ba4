"""Workers and admins type commands the way they type on WeChat, and Jiesu reads them."""

from __future__ import annotations

import pytest

from handlers import texts
from handlers.commands import SHAPES
from handlers.normalise import command, ticket_number
from models.tables import TicketEvent

from .harness import Harness

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.mark.parametrize(
    "line", ["抢单１", "抢单#1", "抢单 1", "抢单＃１", "🙋抢单 1 ", "抢单一号", "抢单：1"]
)
async def test_grab_written_every_way(h: Harness, line: str) -> None:
    """Full-width digits, #, no space, emoji around, Chinese numerals: the worker grabs ticket 1."""
    await h.quick_grid()
    assert await h.quick_report() == 1
    out = await h.say(f"w1: {line}")
    assert h.to("w1", out)[0].startswith("工单 #1 详情")
    assert h.ticket(1).status == "claimed"


@pytest.mark.parametrize(
    ("line", "note"),
    [("办结：1，已修复", "已修复"), ("办结 1，已修复", "已修复"), ("办结1 已修复路面", "已修复路面")],
)
async def test_resolve_with_chinese_punctuation(h: Harness, line: str, note: str) -> None:
    """办结 with a Chinese colon or comma after the number resolves, keeping the note as written."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: {line.replace('1', str(tid), 1)}")
    assert h.to("w1", out)[0] == texts.RESOLVE_DONE.format(id=tid)
    t = h.ticket(tid)
    assert (t.status, t.resolution_note) == ("resolved", note)


@pytest.mark.parametrize(
    "line", ["进展1：已联系，明天上门", "进展 1：已联系，明天上门", "进展1 已联系，明天上门"]
)
async def test_progress_note_keeps_its_own_punctuation(h: Harness, line: str) -> None:
    """进展 with the number glued on or a colon after it records the note with its Chinese comma intact."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: {line.replace('1', str(tid), 1)}")
    assert h.to("w1", out) == [texts.NOTE_DONE.format(id=tid)]
    assert h.count(TicketEvent, TicketEvent.kind == "note", TicketEvent.note == "已联系，明天上门") == 1


@pytest.mark.parametrize("line", ["/assign 1，w2", "/assign 1,w2", "交办 1，w2", "／ａｓｓｉｇｎ　１　ｗ２"])
async def test_assign_with_a_chinese_comma(h: Harness, line: str) -> None:
    """An admin's /assign 1，w2 gives ticket 1 to w2."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say(f"admin: {line}")
    assert texts.ASSIGN_DONE.format(id=tid, handler="w2") in h.to("admin", out)


async def test_chinese_numeral_ticket_reference(h: Harness) -> None:
    """查询十二号工单 asks for ticket 12 (cn2an reads the numeral); it does not exist, and we say so."""
    await h.quick_grid()
    await h.quick_report()
    out = await h.say("r1: 查询十二号工单")
    assert h.to("r1", out) == [texts.NOT_FOUND.format(id=12)]


async def test_sentences_starting_with_a_command_word_stay_sentences(h: Harness) -> None:
    """查询一下 / 抢单了吗 are not commands: no usage line, no refusal."""
    await h.quick_grid()
    for line in ("r1: 查询一下", "w1: 抢单了吗"):
        out = await h.say(line)
        assert not any(t.startswith("格式不对") for t in h.to(line.split(":")[0], out)), line


def test_the_reader_itself() -> None:
    """The pieces: ticket references and argument splitting, including the cases that must fail."""
    aliases = {"抢单": "grab", "定级": "tier", "合并": "merge"}
    assert [ticket_number(t) for t in ("12", "#12", "十二号工单", "第十二号", "一下", "1.5", "abc")] == [
        12,
        12,
        12,
        12,
        None,
        None,
        None,
    ]
    one, other = (command(t, aliases, SHAPES) for t in ("定级 2，复杂，要协调各方", "定级2 复杂 要协调各方"))
    assert one == other
    found = command("合并 3，#5", aliases, SHAPES)
    assert found is not None and (found.name, found.args) == ("merge", ["3", "5"])
    assert command("抢单了吗", aliases, SHAPES) is None
