"""积分回馈: points buy rewards from a file; an admin approves; the ledger is debited once, never below 0."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import cli_rewards
from handlers import texts
from models import points
from models.messages import ChatKind, Inbound
from models.people import get_or_create_person
from models.rewards import RewardFileError, import_rewards, read_file
from models.tables import PointsEntry, Redemption, Reward

from .harness import Harness

EXAMPLE = Path(__file__).resolve().parent.parent / "examples/beiyuan/rewards.toml"


async def stocked(h: Harness, **have: int) -> None:
    """The example rewards imported, and each named console user holding that many points."""
    specs = read_file(EXAMPLE.read_text(encoding="utf-8"))

    def write(s: Session) -> None:
        import_rewards(s, specs)
        now = h.clock.now()
        for user, pts in have.items():
            person = get_or_create_person(s, "console", user, now, name=user, handle=user, chat_id=user)
            points.award(s, person.id, None, pts, "adopted_idea", now)

    await h.app.db.run(write)


async def at_once(h: Harness, lines: list[tuple[str, str]]) -> list[dict[str, object]]:
    """(user, text) messages handled concurrently (real concurrent transactions), then delivered."""
    start = len(h.transcript)

    def inbound(user: str, text: str) -> Inbound:
        return Inbound(
            channel="console",
            chat_id=user,
            user_id=user,
            chat_kind=ChatKind.PRIVATE,
            text=text,
            message_id=uuid.uuid4().hex,
            user_name=user,
            user_handle=user,
        )

    await asyncio.gather(*(h.app.handle(inbound(user, text)) for user, text in lines))
    await h.app.sender.flush()
    return h.transcript[start:]


def stock(h: Harness, code: str) -> int:
    return int(h.query(lambda s: s.get(Reward, code).stock))


def debits(h: Harness) -> list[tuple[str, str, int]]:
    return [row for row in h.ledger() if row[1] == "redeem"]


async def test_a_resident_redeems_and_an_admin_approves_once(h: Harness) -> None:
    """r1 (60 points) asks for tea (50): set aside, the admin is asked, approves; the ledger says -50 once."""
    await stocked(h, r1=60)
    listed = h.to("r1", await h.say("r1: /rewards"))[0]
    assert (
        listed.startswith(texts.REWARDS_HEADER.format(have=60)) and "tea　茶叶一盒　50 分　剩 20 件" in listed
    )
    out = await h.say("r1: 兑换 tea")
    assert h.to("r1", out) == [texts.REDEEM_ASKED.format(id=1, name="茶叶一盒", points=50)]
    assert h.to("admin", out)[0].startswith("兑换申请 1：r1 申请兑换“茶叶一盒”（50 分）")
    assert stock(h, "tea") == 19 and debits(h) == []
    out = await h.say("admin: 同意兑换 1")
    assert h.to("r1", out) == [texts.REDEEM_APPROVED.format(id=1, name="茶叶一盒", points=50)]
    assert debits(h) == [("r1", "redeem", -50)]
    again = await h.say("admin: 同意兑换 1")
    assert h.to("admin", again) == [texts.REDEMPTION_DECIDED.format(id=1)] and debits(h) == [
        ("r1", "redeem", -50)
    ]
    assert "10" in h.to("r1", await h.say("r1: 我的积分"))[0]


async def test_a_refusal_puts_the_item_back_and_debits_nothing(h: Harness) -> None:
    """拒绝兑换 with a reason: r1 is told why, the stock is restored, no ledger row."""
    await stocked(h, r1=60)
    await h.say("r1: 兑换 tea")
    out = await h.say("admin: 拒绝兑换 1 本月已领完")
    assert h.to("r1", out) == [
        texts.REDEEM_REJECTED.format(id=1, name="茶叶一盒", points=50, reason="本月已领完")
    ]
    assert stock(h, "tea") == 20 and debits(h) == []


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("r1: 兑换 caviar", texts.REWARD_UNKNOWN.format(code="caviar")),
        ("r1: 兑换 oil", texts.POINTS_SHORT.format(name="食用油一桶（5升）", need=80, have=60)),
        ("r1: 兑换", texts.USAGE.format(usage="兑换 物品代码（先发 /rewards 查看可兑换的物品）")),
        ("r1: 同意兑换 1", texts.NOT_ADMIN),
        ("admin: 拒绝兑换 1", texts.USAGE.format(usage="拒绝兑换 申请编号 原因")),
        ("admin: 同意兑换 99", texts.REDEMPTION_UNKNOWN.format(id=99)),
    ],
)
async def test_bad_requests_are_answered_and_change_nothing(h: Harness, line: str, answer: str) -> None:
    """An unknown item, too few points, no code, a non-admin's or a reasonless decision: a clear answer."""
    await stocked(h, r1=60, r2=100)
    await h.say("r2: 兑换 haircut")  # request 1, waiting
    before = (stock(h, "oil"), stock(h, "haircut"), h.ledger())
    user = line.split(":")[0]
    assert h.to(user, await h.say(line)) == [answer]
    assert (stock(h, "oil"), stock(h, "haircut"), h.ledger()) == before
    assert h.query(lambda s: s.get(Redemption, 1).status) == "pending"


async def test_fifty_simultaneous_requests_take_exactly_the_stock(h: Harness) -> None:
    """Ten 食用油 in stock, fifty residents ask at once: ten are set aside, forty hear it is gone, stock 0."""
    await stocked(h, **{f"r{i}": 100 for i in range(50)})
    out = await at_once(h, [(f"r{i}", "兑换 oil") for i in range(50)])
    said = [m["text"] for m in out if str(m["chat"]).startswith("r")]
    assert sum(t.startswith("已提交兑换申请") for t in said) == 10
    assert said.count(texts.REWARD_GONE.format(name="食用油一桶（5升）")) == 40
    assert stock(h, "oil") == 0
    assert h.count(Redemption) == 10


async def test_one_person_asking_fifty_times_at_once_never_goes_below_zero(h: Harness) -> None:
    """100 points, haircuts at 30: of fifty requests at once three are set aside; all approved, 10 left."""
    await stocked(h, r1=100)
    await at_once(h, [("r1", "兑换 haircut")] * 50)
    ids = h.query(lambda s: list(s.scalars(select(Redemption.id).order_by(Redemption.id))))
    assert len(ids) == 3 and stock(h, "haircut") == 37
    # Fifty approvals at once of the same three requests: each is debited exactly once.
    await at_once(h, [("admin", f"同意兑换 {ids[i % 3]}") for i in range(50)])
    assert debits(h) == [("r1", "redeem", -30)] * 3
    assert h.query(lambda s: points.total(s, s.scalars(select(PointsEntry.person_id)).first())) == 10


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "no [[reward]] entries"),
        ('[[reward]]\ncode = "tea"\nname = "茶"\nstock = 1', "reward 1: missing 'points'"),
        (
            '[[reward]]\ncode = "tea"\nname = "茶"\npoints = -5\nstock = 1',
            "points must be a whole number of at least 1",
        ),
        (
            '[[reward]]\ncode = "茶 叶"\nname = "茶"\npoints = 5\nstock = 1',
            "code must be 1-40 ASCII characters",
        ),
        (
            '[[reward]]\ncode = "a"\nname = "x"\npoints = 1\nstock = 1\n'
            '[[reward]]\ncode = "a"\nname = "y"\npoints = 1\nstock = 1',
            "appears twice",
        ),
        ("[[reward]\n", "not valid TOML"),
    ],
)
def test_a_bad_rewards_file_says_what_to_fix(body: str, error: str) -> None:
    """A missing field, a negative price, a bad code, a duplicate or broken TOML: refused, reason named."""
    with pytest.raises(RewardFileError, match=error.replace("[", r"\[")):
        read_file(body)


def test_rewards_check_reads_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    """`jiesu rewards check` on the shipped example lists its four items."""
    assert cli_rewards.check(EXAMPLE) == 0
    assert capsys.readouterr().out.endswith("4 rewards, file OK\n")
