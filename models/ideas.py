"""金点子 screening (星选计划): a proposal moves 收集 → 初筛 → 入选 → 落地, or 未采纳 with the reason.

A proposal is a ticket of a category without a deadline (the catalogue's `no_deadline`, 建议 金点子);
its stage is kept beside the ticket, so the 135 clock and the ticket's own status are untouched.
The proposer earns points once, when it is adopted (落地)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import points
from .errors import BadInput, InvalidTransition, NotAllowed, Refusal
from .events import EventKind, Happened, record
from .people import has_chat
from .refdata import catalogue
from .store.unit_of_work import Unit
from .tables import CITY_SOURCE, IdeaStage, Person, Ticket, Tier
from .ticket_states import get, is_admin_over

REASON = "idea"  # the ledger reason of an adopted proposal
LIST_MOST = 200  # proposals on one stage's list at most


class Stage(StrEnum):
    """Where a proposal stands."""

    COLLECTED = "collected"  # 收集: filed, not yet looked at
    SCREENED = "screened"  # 初筛: passed the first screening
    STARRED = "starred"  # 入选 (星选): chosen to be carried out
    ADOPTED = "adopted"  # 落地: carried out
    DECLINED = "declined"  # 未采纳: not taken up (the reason is kept)


ORDER = (Stage.COLLECTED, Stage.SCREENED, Stage.STARRED, Stage.ADOPTED, Stage.DECLINED)
# Each stage and where it may go next (one step forward, or declined from any open stage).
NEXT: dict[Stage, frozenset[Stage]] = {
    Stage.COLLECTED: frozenset({Stage.SCREENED, Stage.DECLINED}),
    Stage.SCREENED: frozenset({Stage.STARRED, Stage.DECLINED}),
    Stage.STARRED: frozenset({Stage.ADOPTED, Stage.DECLINED}),
    Stage.ADOPTED: frozenset(),
    Stage.DECLINED: frozenset(),
}


def is_proposal(session: Session, code: str) -> bool:
    """Tell whether a category is one of proposals: no deadline (建议 金点子)."""
    cat = catalogue(session).get(code)
    return cat is not None and cat.default_tier == Tier.NONE


def stage_of(session: Session, ticket_id: int) -> Stage:
    """A proposal's stage (收集 until someone screens it)."""
    row = session.get(IdeaStage, ticket_id)
    return Stage(row.stage) if row is not None else Stage.COLLECTED


def move(u: Unit, ticket_id: int, admin: Person, to: Stage, reason: str = "") -> Ticket:
    """An admin of the proposal's area moves it one stage on (or declines it, with the reason)."""
    ticket = get(u, ticket_id, lock=True)
    if not is_admin_over(u, admin, ticket):
        raise NotAllowed(Refusal.NOT_ADMIN)
    if not is_proposal(u.session, ticket.category_code):
        raise BadInput(Refusal.IDEA_NOT_PROPOSAL, id=ticket_id)
    reason = " ".join(reason.split())
    if to == Stage.DECLINED and not reason:
        raise BadInput(Refusal.REASON_REQUIRED)
    if len(reason) > u.rules.limits.note_max:
        raise BadInput(Refusal.TOO_LONG, limit=u.rules.limits.note_max)
    row = u.session.get(IdeaStage, ticket_id, with_for_update=True, populate_existing=True)
    at = Stage(row.stage) if row is not None else Stage.COLLECTED
    if to not in NEXT[at]:
        raise InvalidTransition(Refusal.IDEA_STEP, id=ticket_id, at=at, to=to)
    if row is None:
        row = IdeaStage(ticket_id=ticket_id, stage=to, changed_at=u.now)
        u.session.add(row)
    row.stage, row.reason, row.changed_at, row.changed_by_id = to, reason or None, u.now, admin.id
    u.session.flush()
    earned = 0
    if to == Stage.ADOPTED and _pays(u.session, ticket):
        points.award(u.session, ticket.resident_id, ticket.id, u.rules.points.idea, REASON, u.now)
        earned = u.rules.points.idea
    note = f"{to.value}：{reason}" if reason else to.value
    record(u, Happened(EventKind.IDEA_STAGE, ticket, admin, note=note, said=reason or None, points=earned))
    return ticket


def _pays(session: Session, ticket: Ticket) -> bool:
    """The proposer is a resident who wrote it himself (not a city order, not filed on his behalf)."""
    resident = session.get(Person, ticket.resident_id)
    return (
        resident is not None
        and has_chat(resident)
        and ticket.filed_by_id is None
        and ticket.source != CITY_SOURCE
        and not points.earned(session, ticket.resident_id, ticket.id, REASON)
    )


def by_stage(session: Session, area_ids: set[int] | None = None) -> dict[Stage, list[Ticket]]:
    """Proposals grouped by stage, newest first (within the areas given, when given)."""
    codes = [c.code for c in catalogue(session).by_code.values() if c.default_tier == Tier.NONE]
    grouped: dict[Stage, list[Ticket]] = {s: [] for s in ORDER}
    if not codes:
        return grouped
    stmt = (
        select(Ticket, IdeaStage.stage)
        .outerjoin(IdeaStage, IdeaStage.ticket_id == Ticket.id)
        .where(Ticket.category_code.in_(codes))
        .order_by(Ticket.id.desc())
    )
    if area_ids is not None:
        stmt = stmt.where(Ticket.area_id.in_(area_ids))
    for ticket, stage in session.execute(stmt.limit(LIST_MOST * len(ORDER))):
        listed = grouped[Stage(stage) if stage else Stage.COLLECTED]
        if len(listed) < LIST_MOST:
            listed.append(ticket)
    return grouped


def reason_of(session: Session, ticket_id: int) -> str | None:
    """Why a proposal stands where it does (the reason given with its last step)."""
    row = session.get(IdeaStage, ticket_id)
    return row.reason if row is not None else None
