"""Questions a resident owes an answer to (the 双是 follow-up): typed replies are read as answers first."""

from __future__ import annotations

from sqlalchemy import select

from handlers import texts
from models import tickets
from models.tables import Status, Ticket

from . import reading, ticket_text
from .report import followers
from .turn import Turn


def owed(turn: Turn) -> Ticket | None:
    """The newest of the sender's tickets waiting for their 是/否 or 满意/不满意, if any."""
    return turn.u.session.scalar(
        select(Ticket)
        .where(
            Ticket.resident_id == turn.person.id,
            Ticket.status == Status.RESOLVED,
            Ticket.followup_stage > 0,
        )
        .order_by(Ticket.followup_asked_at.desc(), Ticket.id.desc())
        .limit(1)
    )


def answer(turn: Turn) -> bool:
    """Read free text as the answer to a pending question, or re-ask it; False when none is pending."""
    ticket = owed(turn)
    if ticket is None:
        return _as_follower(turn)
    stage = int(ticket.followup_stage)
    said = reading.answered(turn.msg.text, stage)
    if said is None and tickets.rates_own_work(ticket, turn.person.id):
        return False  # a 代办's filer owes no answer: his other messages are not held up by it
    start = len(turn.u.sent)
    if said is None:
        again = texts.REASK_RESOLVED if stage == 1 else texts.REASK_SATISFIED
        turn.reply(again.format(id=ticket.id), ticket_text.followup_buttons(ticket))
        reading.with_english(turn, start, "reask")
        return True
    tickets.answer_followup(turn.u, ticket.id, turn.person, stage, said.yes, said.reason, said.broken)
    reading.with_english(turn, start, "answer")
    return True


def _as_follower(turn: Turn) -> bool:
    """The same for a follower's own 双是 (handlers/report/followers.py)."""
    row = followers.owed(turn)
    if row is None:
        return False
    stage = int(row.followup_stage)
    said = reading.answered(turn.msg.text, stage)
    if said is None:
        again = texts.REASK_RESOLVED if stage == 1 else texts.REASK_SATISFIED
        turn.reply(again.format(id=row.ticket_id), followers.buttons(row))
    else:
        followers.follower_answer(turn, stage, row.ticket_id, said.yes)
    return True
