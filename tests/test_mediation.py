"""滴滴调解: disputes go to the mediator team, the outcome is recorded in chat, the resident rates it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from handlers import texts
from models.datafiles import catalogue_file
from models.mediation import Mediation
from models.tables import Status

from .harness import Harness

DISPUTE = "楼上邻居夜里装修噪音，协商不成"


async def teams(h: Harness) -> None:
    """A grid with its group and worker w1, the community's mediator m1 and the 综治中心's m2."""
    await h.setup_grid(workers=("w1",))
    for m in ("m1", "m2"):
        await h.say(f"{m}: 你好")
    await h.say("admin: /grant m1 mediator siji")
    await h.say("admin: /grant m2 调解员 dept-zz")


def outcomes(h: Harness) -> list[tuple[int, str, str, int | None, str]]:
    rows = h.query(
        lambda s: s.execute(
            select(
                Mediation.ticket_id,
                Mediation.outcome,
                Mediation.agreement,
                Mediation.amount_fen,
                Mediation.source,
            ).order_by(Mediation.id)
        ).all()
    )
    return [tuple(r) for r in rows]


async def test_a_dispute_goes_to_the_community_mediator_not_the_grid(h: Harness) -> None:
    """The card reaches m1 privately with 抢单; the grid's group, w1 and the centre's m2 get nothing."""
    await teams(h)
    start = len(h.transcript)
    n = await h.quick_report("r1", category="dispute", description=DISPUTE)
    out = h.transcript[start:]
    assert any(f"【新工单 #{n}】矛盾纠纷" in t for t in h.to("m1", out))
    assert h.last("m1")["buttons"], "the card carries the 抢单 button"
    assert h.to("@siji1", out) == [] and h.to("m2", out) == [] and h.to("w1", out) == []


async def test_the_wizard_tells_the_resident_the_mediators_have_it(h: Harness) -> None:
    """Filed through the wizard, the receipt says it went to the community's mediators."""
    await teams(h)
    await h.report("r1", category=("矛盾纠纷",), description=DISPUTE)
    receipt = h.to("r1")[-1]
    assert "已转交 四季社区 第一网格 的调解员" in receipt


async def test_only_the_team_may_grab_a_dispute(h: Harness) -> None:
    """w1 (grid worker) and m2 (centre, before it climbs) are refused; m1 takes it."""
    await teams(h)
    n = await h.quick_report("r1", category="dispute", description=DISPUTE)
    for who in ("w1", "m2"):
        assert h.to(who, await h.say(f"{who}: 抢单 {n}")) == [texts.NOT_IN_SCOPE.format(id=n)]
    assert h.ticket(n).status == Status.OPEN
    await h.say(f"m1: 抢单 {n}")
    assert h.ticket(n).handler_id is not None and h.ticket(n).status == Status.CLAIMED


async def test_success_is_recorded_the_resident_is_told_and_rates_it(h: Harness) -> None:
    """调解 N 成功 协议 3000元: m1 hears it is recorded, r1 reads the agreement and gives the 双是."""
    await teams(h)
    n = await h.quick_report("r1", category="dispute", description=DISPUTE)
    await h.say(f"m1: 抢单 {n}")
    out = await h.say(f"m1: 调解 {n} 成功 双方同意夜间十点后停止施工并赔偿 3000元")
    assert h.to("m1", out)[-1] == texts.MEDIATION_DONE.format(
        id=n, outcome="调解成功", amount="（涉及金额 3000 元）"
    )
    assert h.to("m1", out)[0].startswith(f"【工单 #{n} · 已办结"), "his card shows it resolved"
    note = "调解成功。协议内容：双方同意夜间十点后停止施工并赔偿（涉及金额 3000 元）"
    assert h.to("r1", out)[0] == texts.R_RESOLVED.format(id=n, note=note)
    assert outcomes(h) == [(n, "success", "双方同意夜间十点后停止施工并赔偿", 300000, "chat")]
    await h.say("r1: [tap 是]")
    out = await h.say("r1: [tap 满意]")
    assert h.to("r1", out) == [texts.R_CLOSED_DOUBLE_YES.format(id=n)]
    assert h.ticket(n).status == Status.CLOSED and h.ticket(n).rating == "double_yes"


@pytest.mark.parametrize(
    ("line", "outcome", "to", "amount"),
    [
        ("未成功 双方分歧较大", "failed", None, None),
        ("转法院 已引导至人民法院诉调对接", "transferred", "法院", None),
        ("转 派出所 涉及治安问题", "transferred", "派出所", None),
        ("调解成功 退还押金 1.5万", "success", None, 1500000),
    ],
)
async def test_each_outcome_word_is_understood(
    h: Harness, line: str, outcome: str, to: str | None, amount: int | None
) -> None:
    """未成功, 转X / 转 X, and 万 amounts are read as the mediator means them."""
    await teams(h)
    n = await h.quick_report("r1", category="dispute", description=DISPUTE)
    await h.say(f"m1: 抢单 {n}")
    await h.say(f"m1: 调解 {n} {line}")
    rows = h.query(
        lambda s: s.execute(select(Mediation.outcome, Mediation.transferred_to, Mediation.amount_fen)).all()
    )
    assert [tuple(r) for r in rows] == [(outcome, to, amount)]
    assert h.ticket(n).status == Status.RESOLVED


async def test_bad_outcomes_are_answered_and_change_nothing(h: Harness) -> None:
    """A non-dispute, an unknown word, a bad sum, a grid worker, another mediator's ticket: clear answers."""
    await teams(h)
    await h.say("m3: 你好")
    await h.say("admin: /grant m3 mediator siji")
    n = await h.quick_report("r1", category="dispute", description=DISPUTE)
    road = await h.quick_report("r2")
    await h.say(f"m1: 抢单 {n}")
    await h.say(f"w1: 抢单 {road}")
    cases = [
        ("m1", f"调解 {road} 成功 已修好", texts.NOT_DISPUTE.format(id=road)),
        ("m1", f"调解 {n} 和好了 双方握手", texts.OUTCOME_UNKNOWN.format(word="和好了")),
        ("m1", f"调解 {n} 成功 赔偿 3千元", texts.AMOUNT_INVALID.format(amount="3千元")),
        ("m1", f"调解 {n} 成功 赔偿 12.345", texts.AMOUNT_INVALID.format(amount="12.345")),
        ("m1", f"调解 {n} 成功", texts.USAGE.format(usage=texts.USAGE_MEDIATE)),
        ("w1", f"调解 {n} 成功 双方和解", texts.NOT_MEDIATOR),
        ("r1", f"调解 {n} 成功 双方和解", texts.NOT_MEDIATOR),
        ("m3", f"调解 {n} 成功 双方和解", texts.NOT_HANDLER.format(id=n)),
    ]
    before = (h.ticket(n).status, h.ticket(road).status, h.events(n), h.events(road))
    for user, line, answer in cases:
        assert h.to(user, await h.say(f"{user}: {line}")) == [answer], line
    assert (h.ticket(n).status, h.ticket(road).status, h.events(n), h.events(road)) == before
    assert outcomes(h) == []


async def test_an_unclaimed_dispute_climbs_to_the_centre_team(h: Harness) -> None:
    """Not taken by the community's team, the dispute reaches the 综治中心's mediator, who may take it."""
    await teams(h)
    n = await h.quick_report("r1", category="dispute", description=DISPUTE)
    out: list[dict[str, object]] = []
    for _ in range(12):
        out += await h.advance(timedelta(hours=2))
        if h.ticket(n).level >= 2:
            break
    assert h.ticket(n).level >= 2
    assert any(f"#{n}" in t for t in h.to("m2", out)), "the centre's mediator sees the card"
    await h.say(f"m2: 抢单 {n}")
    assert h.ticket(n).status == Status.CLAIMED


async def test_without_mediators_grid_workers_keep_disputes(h: Harness) -> None:
    """An office that has named no mediator yet: a dispute goes to the grid as before."""
    await h.setup_grid(workers=("w1",))
    n = await h.quick_report("r1", category="dispute", description=DISPUTE)
    assert any(f"#{n}" in t for t in h.to("@siji1"))
    await h.say(f"w1: 抢单 {n}")
    assert h.ticket(n).status == Status.CLAIMED


async def test_a_reopened_case_counts_once_by_its_last_outcome(h: Harness) -> None:
    """未成功, the resident says 否, then 成功: one case settled in total, two outcomes for the team."""
    await teams(h)
    n = await h.quick_report("r1", category="dispute", description=DISPUTE)
    await h.say(f"m1: 抢单 {n}")
    await h.say(f"m1: 调解 {n} 未成功 双方分歧较大")
    await h.say("r1: [tap 否]")
    assert h.ticket(n).status == Status.CLAIMED
    await h.say(f"m1: 调解 {n} 成功 第二次调解双方和解 800")
    answer = h.to("admin", await h.say("admin: 调解统计"))[0]
    total = texts.MEDIATION_STATS_LINE.format(
        name="合计",
        cases=1,
        success=1,
        failed=0,
        transferred=0,
        rate="100.0%",
        yuan="800",
        settle="不到1分钟",
    )
    team = "四季社区：受理 2 件，成功 1，未成功 1，转交 0，成功率 50.0%"
    assert total in answer and team in answer, answer


EXAMPLE_CATALOGUE = Path(__file__).resolve().parent.parent / "examples" / "beiyuan" / "catalogue.toml"


def test_the_catalogue_marks_disputes_and_refuses_an_unknown_route(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example's 矛盾纠纷 is routed to mediators; route = "lawyer" is named with the fix, nothing read."""
    checked = catalogue_file.parse(EXAMPLE_CATALOGUE).catalogue
    assert checked.by_code()["dispute"].route == "mediation" and checked.by_code()["road"].route is None
    bad = tmp_path / "catalogue.toml"
    bad.write_text(
        EXAMPLE_CATALOGUE.read_text(encoding="utf-8").replace('route = "mediation"', 'route = "lawyer"'),
        encoding="utf-8",
    )
    assert main(["catalogue", "check", str(bad)]) == 1
    assert "'lawyer': write route = \"mediation\"" in capsys.readouterr().err
