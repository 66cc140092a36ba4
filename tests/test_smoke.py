"""The shortest useful story: report, grab, resolve, 双是."""

from __future__ import annotations

from .harness import Harness


async def test_report_grab_resolve_double_yes(h: Harness) -> None:
    """A ticket goes from report to 双是 and pays its handler 10+20 plus the grab and meet bonuses."""
    await h.setup_grid()
    tid = await h.report()
    out = await h.run("w1@siji1: [tap 抢单]", "w2@siji1: [tap 抢单]")
    assert "抢单成功！工单 #1 由您办理。" in h.to("w1", out)
    assert "手慢了，工单 #1 已被 w1 抢单。" in h.to("w2", out)
    await h.run(f"w1: 见面 {tid}", f"w1: 办结 {tid} 已修复")
    await h.run("r1: [tap 是]", "r1: [tap 满意]")
    assert h.ticket(tid).status == "closed"
    out = await h.say("w1: /points")
    assert h.to("w1", out) == ["您的积分：35 分（本周 35，本月 35）。"]
