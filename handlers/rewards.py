"""积分回馈 in chat: /rewards lists what points buy, 兑换 asks, an admin's 同意兑换 / 拒绝兑换 decides."""

from __future__ import annotations

from models import rewards
from models.errors import BadInput, NotAllowed, Refusal
from models.escalation import admins_at
from models.people import admin_scopes
from models.tables import Person, Redemption, Reward

from . import texts
from .normalise import Shape, nfkc, ticket_number
from .notify.deliver import to_person
from .spec import Spec, Who
from .turn import Turn


def offer(turn: Turn, args: list[str]) -> None:
    """/rewards (积分回馈): what points buy, how many are left, and the asker's spendable points."""
    items = rewards.offered(turn.u.session)
    have = rewards.spendable(turn.u.session, turn.person.id)
    if not items:
        turn.reply(texts.REWARDS_NONE.format(have=have))
        return
    lines = [texts.REWARDS_HEADER.format(have=have)]
    lines += [_item(r) for r in items]
    lines.append(texts.REWARDS_HOW)
    turn.reply("\n".join(lines))


def _item(r: Reward) -> str:
    left = texts.REWARD_LEFT.format(stock=r.stock) if r.stock else texts.REWARD_OUT
    provider = texts.REWARD_PROVIDER.format(provider=r.provider) if r.provider else ""
    return texts.REWARD_LINE.format(code=r.code, name=r.name, points=r.points, left=left, provider=provider)


def redeem(turn: Turn, args: list[str]) -> None:
    """兑换 CODE: set the reward aside for this person and ask the admins to decide."""
    if len(args) != 1:
        raise BadInput(Refusal.USAGE, usage=REDEEM.usage)
    code = nfkc(args[0]).strip().lower()
    row = rewards.request(turn.u, turn.person, code)
    reward = turn.u.session.get(Reward, code)
    assert reward is not None
    turn.reply(texts.REDEEM_ASKED.format(id=row.id, name=reward.name, points=row.points))
    who = turn.person.name or turn.person.external_id
    task = texts.REDEEM_TASK.format(id=row.id, who=who, name=reward.name, points=row.points)
    for admin in admins_at(turn.u, turn.u.tree.top().id):
        if admin.id != turn.person.id:
            to_person(turn.u, admin, task)


def _decision(turn: Turn, args: list[str], approve: bool) -> None:
    usage = (APPROVE if approve else REJECT).usage
    rid = ticket_number(args[0]) if args else None
    reason = " ".join(args[1:]).strip()
    if rid is None or (not approve and not reason):
        raise BadInput(Refusal.USAGE, usage=usage)
    row = rewards.decide(turn.u, turn.person, rid, approve, reason)
    reward = turn.u.session.get(Reward, row.reward_code)
    name = reward.name if reward is not None else row.reward_code
    turn.reply(texts.REDEEM_DECIDED.format(id=row.id, verdict=texts.REDEEM_VERDICT[row.status], name=name))
    asker = turn.u.session.get(Person, row.person_id)
    if asker is not None:
        told = texts.REDEEM_APPROVED if approve else texts.REDEEM_REJECTED
        to_person(turn.u, asker, told.format(id=row.id, name=name, points=row.points, reason=reason))


def approve(turn: Turn, args: list[str]) -> None:
    """同意兑换 N: the admin approves; the ledger is debited once."""
    _decision(turn, args, True)


def reject(turn: Turn, args: list[str]) -> None:
    """拒绝兑换 N 原因: the admin refuses; the item goes back to the stock."""
    _decision(turn, args, False)


def queue(turn: Turn, args: list[str]) -> None:
    """兑换申请: the requests waiting for an admin (admins only)."""
    if not admin_scopes(turn.u.session, turn.person.id):
        raise NotAllowed(Refusal.NOT_ADMIN)
    rows = rewards.waiting(turn.u.session)
    if not rows:
        turn.reply(texts.REDEEM_QUEUE_EMPTY)
        return
    turn.reply(
        "\n".join([texts.REDEEM_QUEUE_HEADER.format(count=len(rows)), *(_waiting(turn, r) for r in rows)])
    )


def _waiting(turn: Turn, r: Redemption) -> str:
    who = turn.u.session.get(Person, r.person_id)
    reward = turn.u.session.get(Reward, r.reward_code)
    return texts.REDEEM_QUEUE_LINE.format(
        id=r.id,
        who=(who.name or who.external_id) if who else r.person_id,
        name=reward.name if reward else r.reward_code,
        points=r.points,
    )


REWARDS = Spec(
    "rewards",
    offer,
    Who.RESIDENT,
    texts.USAGE_REWARDS,
    ("积分回馈", "积分兑换"),
    menu=texts.MENU_REWARDS,
    staff_menu=texts.MENU_REWARDS,
    personal=True,
    help=texts.HELP_REWARDS,
)
REDEEM = Spec(
    "redeem", redeem, Who.RESIDENT, texts.USAGE_REDEEM, ("兑换",), personal=True, help=texts.HELP_REDEEM
)
APPROVE = Spec(
    "approve_redeem",
    approve,
    Who.ADMIN,
    texts.USAGE_APPROVE_REDEEM,
    ("同意兑换",),
    help=texts.HELP_APPROVE_REDEEM,
)
REJECT = Spec(
    "reject_redeem",
    reject,
    Who.ADMIN,
    texts.USAGE_REJECT_REDEEM,
    ("拒绝兑换",),
    Shape(1, True),
    help=texts.HELP_REJECT_REDEEM,
)
QUEUE = Spec(
    "redemptions",
    queue,
    Who.ADMIN,
    texts.USAGE_REDEMPTIONS,
    ("兑换申请",),
    menu=texts.MENU_REDEMPTIONS,
    help=texts.HELP_REDEMPTIONS,
)
SPECS = (REWARDS, REDEEM, APPROVE, REJECT, QUEUE)
