"""Residents who follow another's ticket: their count, their own 双是 questions and answers."""

from __future__ import annotations

from datetime import datetime

from models import followers, tickets
from models.errors import BadInput, NotAllowed, Refusal
from models.messages import Button
from models.tables import Ticket, TicketFollower

from .. import notify, texts
from ..payloads import FollowerSatisfied, FollowerSolved
from ..turn import Turn


def is_follower(turn: Turn, ticket_id: int) -> bool:
    """Tell whether the sender follows this ticket."""
    return followers.get(turn.u.session, ticket_id, turn.person.id) is not None


def count(turn: Turn, ticket_id: int) -> int:
    """How many residents follow a ticket."""
    return followers.count(turn.u.session, ticket_id)


def affected_line(turn: Turn, ticket: Ticket) -> str:
    """'反映同一问题的居民：N 人' for /status when others follow the ticket (the filer included)."""
    followers = count(turn, ticket.id)
    return texts.AFFECTED.format(count=followers + 1) if followers else ""


def owed(turn: Turn) -> TicketFollower | None:
    """A follower's own pending 双是 question, newest first."""
    return followers.owed(turn.u.session, turn.person.id)


def buttons(row: TicketFollower) -> tuple[Button, ...]:
    """The follower's own 是/否 or 满意/不满意 buttons."""
    if row.followup_stage == 1:
        return (
            Button(texts.BTN_YES, FollowerSolved(row.ticket_id, True).pack()),
            Button(texts.BTN_NO, FollowerSolved(row.ticket_id, False).pack()),
        )
    return (
        Button(texts.BTN_SATISFIED, FollowerSatisfied(row.ticket_id, True).pack()),
        Button(texts.BTN_UNSATISFIED, FollowerSatisfied(row.ticket_id, False).pack()),
    )


def follower_answer(turn: Turn, stage: int, ticket_id: int, yes: bool) -> None:
    """Record a follower's 是/否 or 满意/不满意; it never changes the ticket itself."""
    u = turn.u
    row = followers.get(u.session, ticket_id, turn.person.id)
    if row is None or row.followup_stage != stage:
        raise BadInput(Refusal.FOLLOWUP_NOT_NOW, id=ticket_id)
    followed = u.session.get(Ticket, ticket_id)
    if followed is not None and tickets.rates_own_work(followed, turn.person.id):
        raise NotAllowed(Refusal.SELF_RATING, id=ticket_id)
    if stage == 1:
        row.resolved_answer = yes
        if yes:
            row.followup_stage = 2
            turn.reply(texts.R_ASK_SATISFIED, buttons(row))
            return
        row.followup_stage = 0
        turn.reply(texts.FOLLOWER_NOT_RESOLVED.format(id=ticket_id))
        ticket = u.session.get(Ticket, ticket_id)
        if ticket is not None:
            notify.to_handler(u, ticket, texts.W_FOLLOWER_NOT_RESOLVED.format(id=ticket_id))
        return
    row.satisfied = yes
    row.followup_stage = 0
    turn.reply(texts.FOLLOWER_THANKS.format(id=ticket_id))


def stats_lines(turn: Turn, area_ids: set[int] | None, since: datetime | None) -> list[str]:
    """For /stats: how many residents follow the counted tickets (nothing when none do)."""
    n = followers.count_in(turn.u.session, area_ids, since)
    return [texts.STATS_FOLLOWERS.format(count=n)] if n else []
