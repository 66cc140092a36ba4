"""Mediation figures: cases, outcomes, success rate, amounts and time to settle, by team and by community."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ..mediation import Mediation, Outcome
from ..mediation_routing import is_mediation
from ..refdata import catalogue
from ..tables import ACTIVE, Status, Ticket
from ..territory import AreaTree

COUNTED = (*ACTIVE, Status.CLOSED)  # as the 三率 count: withdrawn, rejected and merged tickets are not cases


@dataclass
class Tally:
    """The figures of one team, one community, or all of them."""

    area_id: int | None
    cases: int = 0  # dispute tickets reported in the period (for a team: the cases it recorded)
    success: int = 0
    failed: int = 0
    transferred: int = 0
    amount_fen: int = 0  # 涉及金额 of the successful ones
    settle_seconds: list[float] = field(default_factory=list)  # report -> successful outcome

    @property
    def recorded(self) -> int:
        """Cases with an outcome."""
        return self.success + self.failed + self.transferred

    @property
    def success_rate(self) -> float | None:
        """调解成功率: successful / outcomes recorded (None: none yet)."""
        return self.success / self.recorded if self.recorded else None

    @property
    def settle_hours(self) -> float | None:
        """The average hours from the report to a successful outcome."""
        if not self.settle_seconds:
            return None
        return sum(self.settle_seconds) / len(self.settle_seconds) / 3600


@dataclass(frozen=True)
class Figures:
    """Everything the mediation statistics show for one scope and period."""

    total: Tally
    by_team: list[Tally]
    by_community: list[Tally]


def dispute_codes(session: Session) -> list[str]:
    """The categories whose tickets go to mediators."""
    return sorted(code for code in catalogue(session).by_code if is_mediation(session, code))


def compute(session: Session, tree: AreaTree, area_ids: set[int] | None, since: datetime | None) -> Figures:
    """Cases reported and outcomes recorded since then, in these areas (None: everywhere).

    A case counts by its latest outcome in the period (a reopened case may be recorded again);
    a team counts every outcome it recorded."""
    codes = dispute_codes(session)
    where: list[ColumnElement[bool]] = [Ticket.category_code.in_(codes), Ticket.status.in_(COUNTED)]
    if area_ids is not None:
        where.append(Ticket.area_id.in_(area_ids))
    total = Tally(None)
    communities: dict[int, Tally] = {}
    teams: dict[int, Tally] = {}

    community_of: dict[int, int] = {}

    def community(area_id: int) -> Tally:
        key = community_of.get(area_id)
        if key is None:
            found = tree.community_of(area_id)
            key = community_of[area_id] = found.id if found is not None else area_id
        return communities.setdefault(key, Tally(key))

    cases = select(Ticket.area_id, func.count()).where(*where).group_by(Ticket.area_id)
    if since is not None:
        cases = cases.where(Ticket.created_at >= since)
    for area_id, n in session.execute(cases):
        total.cases += int(n)
        community(int(area_id)).cases += int(n)
    rows = select(
        Mediation.ticket_id,
        Mediation.team_id,
        Mediation.outcome,
        Mediation.amount_fen,
        Mediation.recorded_at,
        Ticket.area_id,
        Ticket.created_at,
    ).join(Ticket, Ticket.id == Mediation.ticket_id)
    rows = rows.where(*where).order_by(Mediation.id)
    if since is not None:
        rows = rows.where(Mediation.recorded_at >= since)
    latest = {}
    for r in session.execute(rows):  # each team counts the outcomes it recorded itself
        team = teams.setdefault(int(r.team_id), Tally(int(r.team_id)))
        team.cases += 1
        _add(team, r.outcome, r.amount_fen, (r.recorded_at - r.created_at).total_seconds())
        latest[int(r.ticket_id)] = r
    for r in latest.values():  # a case, in total and in its community, by its latest outcome
        for tally in (total, community(int(r.area_id))):
            _add(tally, r.outcome, r.amount_fen, (r.recorded_at - r.created_at).total_seconds())
    return Figures(
        total,
        sorted(teams.values(), key=lambda t: t.area_id or 0),
        sorted(communities.values(), key=lambda t: t.area_id or 0),
    )


def _add(tally: Tally, outcome: str, amount_fen: int | None, seconds: float) -> None:
    if outcome == Outcome.SUCCESS:
        tally.success += 1
        tally.amount_fen += amount_fen or 0
        tally.settle_seconds.append(seconds)
    elif outcome == Outcome.FAILED:
        tally.failed += 1
    else:
        tally.transferred += 1
