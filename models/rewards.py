"""积分回馈: the rewards file, redemption requests, and an admin's decision that debits the ledger once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from . import points
from .errors import BadInput, InvalidTransition, NotAllowed, NotFound, Refusal
from .people import admin_scopes
from .store.unit_of_work import Unit
from .tables import Person, Redemption, RedemptionStatus, Reward

REASON = "redeem"  # the ledger reason of an approved redemption
MAX_ITEMS = 500


class RewardFileError(ValueError):
    """A rewards file that cannot be imported, with what to fix."""


@dataclass(frozen=True)
class RewardSpec:
    """One [[reward]] of the rewards file."""

    code: str
    name: str
    points: int
    stock: int
    provider: str = ""


def _field(entry: dict[str, object], key: str, where: str) -> object:
    if key not in entry:
        raise RewardFileError(f"{where}: missing {key!r}")
    return entry[key]


def _count(entry: dict[str, object], key: str, where: str, low: int) -> int:
    value = _field(entry, key, where)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise RewardFileError(f"{where}: {key} must be a whole number of at least {low}, got {value!r}")
    return value


def read_file(text: str) -> list[RewardSpec]:
    """Parse and check a rewards file ([[reward]] code, name, points, stock, provider)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RewardFileError(f"not valid TOML: {exc}") from None
    entries = data.get("reward")
    if not isinstance(entries, list) or not entries:
        raise RewardFileError("no [[reward]] entries")
    if len(entries) > MAX_ITEMS:
        raise RewardFileError(f"{len(entries)} rewards: at most {MAX_ITEMS}")
    specs: list[RewardSpec] = []
    for n, entry in enumerate(entries, 1):
        where = f"reward {n}"
        code = str(_field(entry, "code", where)).strip()
        name = str(_field(entry, "name", where)).strip()
        if not code or len(code) > 40 or not code.isascii() or " " in code:
            raise RewardFileError(f"{where}: code must be 1-40 ASCII characters without spaces, got {code!r}")
        if not name or len(name) > 100:
            raise RewardFileError(f"{where} ({code}): name must be 1-100 characters")
        if any(s.code == code for s in specs):
            raise RewardFileError(f"{where}: code {code!r} appears twice")
        provider = str(entry.get("provider", "")).strip()[:100]
        specs.append(
            RewardSpec(
                code, name, _count(entry, "points", where, 1), _count(entry, "stock", where, 0), provider
            )
        )
    return specs


def import_rewards(session: Session, specs: list[RewardSpec]) -> tuple[int, int]:
    """Add new rewards and restock or rename known ones; a reward left out is withdrawn. (added, updated)"""
    known = {r.code: r for r in session.scalars(select(Reward))}
    added = updated = 0
    for spec in specs:
        row = known.pop(spec.code, None)
        if row is None:
            session.add(
                Reward(
                    code=spec.code,
                    name=spec.name,
                    points=spec.points,
                    stock=spec.stock,
                    provider=spec.provider,
                    active=True,
                )
            )
            added += 1
        else:
            row.name, row.points, row.stock, row.provider, row.active = (
                spec.name,
                spec.points,
                spec.stock,
                spec.provider,
                True,
            )
            updated += 1
    for row in known.values():
        row.active = False  # kept for the requests that name it
    return added, updated


def offered(session: Session) -> list[Reward]:
    """The rewards on offer, cheapest first."""
    return list(
        session.scalars(select(Reward).where(Reward.active.is_(True)).order_by(Reward.points, Reward.code))
    )


def set_aside(session: Session, person_id: int) -> int:
    """Points held by the person's requests still waiting for an admin."""
    stmt = select(func.coalesce(func.sum(Redemption.points), 0)).where(
        Redemption.person_id == person_id, Redemption.status == RedemptionStatus.PENDING
    )
    return int(session.scalar(stmt) or 0)


def spendable(session: Session, person_id: int) -> int:
    """The ledger's total less what pending requests hold."""
    return points.total(session, person_id) - set_aside(session, person_id)


def request(u: Unit, person: Person, code: str) -> Redemption:
    """Ask for a reward: the points must cover it and one must be left; it is set aside until decided.

    The person's row is locked first, so two requests of one person are counted one after the
    other; the stock is taken by one conditional UPDATE, so it never goes below zero."""
    reward = u.session.get(Reward, code)
    if reward is None or not reward.active:
        raise NotFound(Refusal.REWARD_UNKNOWN, code=code)
    u.session.execute(select(Person.id).where(Person.id == person.id).with_for_update())
    have = spendable(u.session, person.id)
    if have < reward.points:
        raise BadInput(Refusal.POINTS_SHORT, name=reward.name, need=reward.points, have=max(have, 0))
    taken = u.session.execute(
        update(Reward)
        .where(Reward.code == code, Reward.stock > 0)
        .values(stock=Reward.stock - 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise InvalidTransition(Refusal.REWARD_GONE, name=reward.name)
    row = Redemption(reward_code=code, person_id=person.id, points=reward.points, requested_at=u.now)
    u.session.add(row)
    u.session.flush()
    return row


def decide(u: Unit, admin: Person, redemption_id: int, approve: bool, reason: str = "") -> Redemption:
    """An admin approves (the ledger is debited, once) or refuses (the item goes back) a request."""
    if not admin_scopes(u.session, admin.id):
        raise NotAllowed(Refusal.NOT_ADMIN)
    row = u.session.get(Redemption, redemption_id)
    if row is None:
        raise NotFound(Refusal.REDEMPTION_UNKNOWN, id=redemption_id)
    status = RedemptionStatus.APPROVED if approve else RedemptionStatus.REJECTED
    won = u.session.execute(
        update(Redemption)
        .where(Redemption.id == redemption_id, Redemption.status == RedemptionStatus.PENDING)
        .values(status=status, decided_at=u.now, decided_by_id=admin.id, reason=reason or None)
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:  # another admin (or this one, twice) decided it first
        u.session.refresh(row)
        raise InvalidTransition(Refusal.REDEMPTION_DECIDED, id=redemption_id)
    if approve:
        points.award(u.session, row.person_id, None, -row.points, REASON, u.now)
    else:
        u.session.execute(
            update(Reward)
            .where(Reward.code == row.reward_code)
            .values(stock=Reward.stock + 1)
            .execution_options(synchronize_session=False)
        )
    u.session.refresh(row)
    return row


def waiting(session: Session, limit: int = 50) -> list[Redemption]:
    """Requests waiting for an admin, oldest first."""
    stmt = select(Redemption).where(Redemption.status == RedemptionStatus.PENDING)
    return list(session.scalars(stmt.order_by(Redemption.id).limit(limit)))
