"""Consultations (咨询): a question about a service is answered from the FAQ, else filed and answered in words."""

from __future__ import annotations

from datetime import timedelta

from handlers import texts
from models.tables import Status, Tier

from .harness import Harness


async def test_a_question_the_faq_answers_is_answered_at_once(h: Harness) -> None:
    """有没有送餐服务 gets the FAQ's meal answer; no ticket is filed."""
    out = await h.say("r1: 有没有送餐服务")
    told = h.to("r1", out)
    assert len(told) == 1 and "长者食堂" in told[0] and "人工咨询" in told[0]
    out = await h.say("r1: 社区能办居住证明吗")
    assert "居住证明由所在社区居委会出具" in h.to("r1", out)[0]


async def test_a_question_the_faq_cannot_answer_becomes_a_consultation(h: Harness) -> None:
    """A question without an answer is filed, due in 3 working days; the admin answers it and the resident hears it."""
    out = await h.say("r1: 请问社区可以开无犯罪记录证明吗")
    told = h.to("r1", out)
    print(out)
    assert told[0].startswith("您的咨询已收到，编号 #1。")
    t = h.ticket(1)
    assert t.tier == Tier.CONSULT and t.status == Status.OPEN and t.due_at is not None
    assert any("新咨询 #1" in m for m in h.to("admin", out))
    out = await h.say("admin: 答复 1 无犯罪记录证明请到北苑派出所开具，带身份证即可。")
    assert h.to("admin", out) == [texts.CONSULT_ANSWER_DONE.format(id=1)]
    assert "北苑派出所" in h.to("r1", out)[0]
    assert h.ticket(1).status == Status.CLOSED
