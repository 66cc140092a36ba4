"""Consultations (咨询): a question about a service is answered from the office's FAQ file; one the
file cannot answer becomes a 咨询 ticket with 3 working days, answered by staff in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import cli_faq
from handlers import texts
from models.faq import FaqFileError, import_faq, read_file
from models.tables import FaqEntry, Status, Ticket, TicketEvent, Tier

from .harness import Harness
from .office import client, office_with_grids, post_form, sign_in
from .tgfake import Tg, cast
from .wxfake import WxEnv, openid

EXAMPLE = Path(__file__).resolve().parent.parent / "examples/beiyuan/faq.toml"
UNANSWERED = "请问社区可以开无犯罪记录证明吗"


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("有没有送餐服务", "长者食堂"),
        ("社区能办居住证明吗", "居住证明由所在社区居委会出具"),
        ("请问老年卡在哪里办", "老年优待卡"),
        ("想当志愿者怎么报名", "社区志愿者"),
        ("请问电动车在哪里可以充电", "集中充电棚"),
        ("出租房要不要登记", "出租登记"),  # read as a problem, but a question with a close answer
        ("小区什么时候停水", "计划停水"),
    ],
)
async def test_a_question_the_faq_answers_is_answered_at_once(h: Harness, question: str, said: str) -> None:
    """A question worded unlike the file's questions gets the entry's answer; no ticket is filed."""
    told = h.to("r1", await h.say(f"r1: {question}"))
    assert len(told) == 1 and said in told[0] and "人工咨询" in told[0]
    assert h.count(Ticket) == 0


async def test_a_problem_is_still_a_report_not_a_consultation(h: Harness) -> None:
    """楼道灯坏了 starts a report with suggestions, as before: not the FAQ, not a 咨询."""
    told = h.to("r1", await h.say("r1: 楼道灯坏了好几天了，现代花园3幢"))
    assert told[0].startswith("收到，已记下您的描述")
    assert h.count(Ticket) == 0


async def test_a_question_the_faq_cannot_answer_is_filed_answered_and_closed(h: Harness) -> None:
    """No answer in the file: a 咨询 of the subdistrict; the admin answers, the resident hears, it closes."""
    out = await h.say(f"r1: {UNANSWERED}")
    told = h.to("r1", out)
    assert told == [texts.CONSULT_FILED.format(id=1, days=3, due="11月26日 09:00")]
    assert h.to("admin", out) == [
        texts.CONSULT_NEW.format(id=1, days=3, due="11月26日 09:00", question=UNANSWERED)
    ]
    t = h.ticket(1)
    assert (t.tier, t.status, t.description, t.handler_id) == (Tier.CONSULT, Status.OPEN, UNANSWERED, None)
    out = await h.say("admin: 答复 1 无犯罪记录证明请到北苑派出所开具，带身份证即可。")
    assert h.to("admin", out) == [texts.CONSULT_ANSWER_DONE.format(id=1)]
    assert h.to("r1", out) == [
        texts.CONSULT_ANSWERED.format(id=1, answer="无犯罪记录证明请到北苑派出所开具，带身份证即可。")
    ]
    t = h.ticket(1)
    assert (
        t.status == Status.CLOSED and t.resolution_note == "无犯罪记录证明请到北苑派出所开具，带身份证即可。"
    )
    assert h.events(1) == ["created", "answered"]
    history = "\n".join(h.to("admin", await h.say("admin: /history 1")))
    assert "答复咨询" in history and "北苑派出所" in history


async def test_the_resident_can_ask_a_person_straight_away(h: Harness) -> None:
    """人工咨询 问题 files the question even when the FAQ has an answer; 人工咨询 alone shows the usage."""
    out = await h.say("r1: 人工咨询")
    assert h.to("r1", out) == [texts.USAGE.format(usage=texts.USAGE_ASK)]
    out = await h.say("r1: 人工咨询 有没有送餐服务，我家在四季社区")
    assert h.to("r1", out)[0].startswith("您的咨询已收到，编号 #1。")
    assert h.ticket(1).tier == Tier.CONSULT


async def test_the_window_is_three_working_days_and_late_is_told_once(h: Harness) -> None:
    """Asked on a Friday: due next Wednesday (weekend skipped); unanswered then, the admin hears it once."""
    await h.advance(timedelta(days=4))  # Friday 27 November, 09:00 in Shanghai
    await h.say(f"r1: {UNANSWERED}")
    t = h.ticket(1)
    assert t.due_at == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # Wednesday 09:00 in Shanghai
    out = await h.advance(timedelta(days=4, hours=23))
    assert not any("超过答复时限" in m for m in h.to("admin", out))
    out = await h.advance(timedelta(hours=2))
    late = texts.CONSULT_LATE.format(id=1, due="12月2日 09:00", question=UNANSWERED)
    assert [m for m in h.to("admin", out) if m.startswith("咨询 #1")] == [late]
    assert h.ticket(1).overdue_since == t.due_at
    out = await h.advance(timedelta(days=3))
    assert not any("超过答复时限" in m for m in h.to("admin", out))
    await h.say("admin: 答复 1 请到北苑派出所开具。")
    assert h.ticket(1).status == Status.CLOSED


async def test_bad_answers_change_nothing(h: Harness) -> None:
    """No text, no number, unknown ticket, a report (no 咨询), a resident, a second answer: each refused."""
    await h.say(f"r1: {UNANSWERED}")
    report = await h.report("r2")
    usage = texts.USAGE.format(usage=texts.USAGE_ANSWER)
    cases = [
        ("admin", "答复", usage),
        ("admin", "答复 1", usage),
        ("admin", "答复 99 可以办", texts.NOT_FOUND.format(id=99)),
        ("admin", f"答复 {report} 可以办", texts.NOT_CONSULT.format(id=report)),
        ("r1", "答复 1 我自己答复", texts.NOT_STAFF),
    ]
    for user, line, refusal in cases:
        out = await h.say(f"{user}: {line}")
        assert h.to(user, out) == [refusal], line
        assert h.to("r1", out) == [] or user == "r1"
    assert h.ticket(1).status == Status.OPEN and h.ticket(report).status == Status.OPEN
    assert h.count(TicketEvent, TicketEvent.kind == "answered") == 0
    await h.say("admin: 答复 1 可以，请带身份证到派出所。")
    out = await h.say("admin: 答复 1 再答一次")
    assert h.to("admin", out) == [texts.NOT_OPEN.format(id=1, status=texts.STAFF_STATUS[Status.CLOSED])]
    assert h.to("r1", out) == []
    assert h.ticket(1).resolution_note == "可以，请带身份证到派出所。"


def test_the_example_file_reads_and_bad_files_say_what_to_fix() -> None:
    """The shipped FAQ has about 30 entries; a bad code, no answer, a code twice or no entries are refused."""
    entries = read_file(EXAMPLE.read_text(encoding="utf-8"))
    assert len(entries) >= 30 and all(e.questions and e.answer for e in entries)
    bad = {
        "x = 1": "no [[faq]] entries",
        '[[faq]]\ncode = "A B"\nquestions = ["q"]\nanswer = "a"': "code must be",
        '[[faq]]\ncode = "a"\nquestions = ["q"]': "answer must be",
        '[[faq]]\ncode = "a"\nquestions = "q"\nanswer = "a"': "questions must be a list",
        '[[faq]]\ncode = "a"\nquestions = ["q"]\nanswer = "a"\n' * 2: "appears twice",
        "[[faq": "not valid TOML",
    }
    for text, said in bad.items():
        with pytest.raises(FaqFileError, match=re.escape(said)):
            read_file(text)


async def test_importing_again_replaces_the_answers(h: Harness, tmp_path: Path) -> None:
    """A new file: changed entries updated, new ones added, missing ones gone; the next question reads it."""
    text = '[[faq]]\ncode = "meal-delivery"\nquestions = ["有没有送餐服务"]\nanswer = "送餐请打 12349。"\n'
    counts = await h.app.db.run(lambda s: import_faq(s, read_file(text)))
    assert counts[0] == 0 and counts[1] == 1 and counts[2] >= 29
    assert h.count(FaqEntry) == 1
    assert "送餐请打 12349。" in h.to("r1", await h.say("r1: 有没有送餐服务"))[0]


def test_the_cli_checks_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`jiesu faq check` prints the entries and exits 0; a broken file exits 1 naming the problem."""
    assert cli_faq.check(EXAMPLE) == 0
    assert "entries, file OK" in capsys.readouterr().out
    broken = tmp_path / "faq.toml"
    broken.write_text('[[faq]]\ncode = "a"\nquestions = ["q"]\n', encoding="utf-8")
    assert cli_faq.check(broken) == 1
    assert "answer must be" in capsys.readouterr().err


async def test_telegram_question_answered_and_consultation_answered(tg: Tg) -> None:
    """On Telegram: the FAQ answers; an unanswered question is filed, the 答复 reaches the resident."""
    c = cast(tg.u)
    await tg.send(tg.u.text(c.admin, "/start"))
    await tg.send(tg.u.text(c.r1, "有没有送餐服务"))
    assert "长者食堂" in tg.api.texts(c.r1["id"])[-1]
    await tg.send(tg.u.text(c.r1, UNANSWERED))
    assert tg.api.texts(c.r1["id"])[-1].startswith("您的咨询已收到，编号 #1。")
    assert tg.api.texts(c.admin["id"])[-1].startswith("新咨询 #1")
    await tg.send(tg.u.text(c.admin, "答复 1 请到北苑派出所开具。"))
    assert tg.api.texts(c.r1["id"])[-1] == texts.CONSULT_ANSWERED.format(id=1, answer="请到北苑派出所开具。")


async def test_wechat_question_answered_from_the_faq(wx: WxEnv) -> None:
    """On WeChat the FAQ's answer is the reply; a question it cannot answer gets its 咨询 number."""
    r1 = openid("r1")
    assert "居住证明由所在社区居委会出具" in await wx.text(r1, "社区能办居住证明吗")
    assert (await wx.text(r1, UNANSWERED)).startswith("您的咨询已收到，编号 #1。")


async def test_the_office_answers_a_consultation(db_url: str) -> None:
    """The ticket page of a 咨询 has the 答复 form; sent, the resident gets the words and it closes."""
    async with office_with_grids(db_url) as web:
        await web.say(f"r1: {UNANSWERED}")
        async with client(web) as http:
            await sign_in(web, http, "admin")
            page = (await http.get("/office/tickets/1")).text
            assert 'data-action="answer"' in page
            start = len(web.transcript)
            answer = "请带身份证到北苑派出所开具。"
            await post_form(http, "/office/tickets/1", "/office/tickets/1/answer", {"answer": answer})
            await web.app.sender.flush()
            told = web.to("r1", web.transcript[start:])
            assert told == [texts.CONSULT_ANSWERED.format(id=1, answer=answer)]
            assert web.ticket(1).status == Status.CLOSED
            assert 'data-action="answer"' not in (await http.get("/office/tickets/1")).text
