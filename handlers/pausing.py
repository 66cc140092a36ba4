"""/pause and /resume (挂起): a handler stops a ticket's clock while waiting, and lets it run again."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from models import pause as pausing
from models.errors import BadInput

from . import texts
from .arguments import ticket_arg
from .render import fmt_time
from .turn import Command, Turn


def pause(turn: Turn, args: list[str]) -> None:
    """/pause ID YYYY-MM-DD REASON: stop the clock until that day at most."""
    ticket_id = ticket_arg(args, texts.PAUSE_USAGE, 3)
    try:
        day = date.fromisoformat(args[1])
    except ValueError:
        raise BadInput(texts.USAGE.format(usage=texts.PAUSE_USAGE)) from None
    zone = ZoneInfo(turn.u.rules.sla.timezone)
    until = datetime.combine(day, time(23, 59, 59), zone)
    ticket = pausing.pause(turn.u, ticket_id, turn.person, until, " ".join(args[2:]))
    turn.reply(texts.PAUSE_DONE.format(id=ticket.id, until=fmt_time(ticket.pause_until, zone.key)))


def resume(turn: Turn, args: list[str]) -> None:
    """/resume ID: the clock runs again; the deadline has moved by the time paused."""
    ticket_id = ticket_arg(args, texts.PAUSE_USAGE, 1)
    ticket = pausing.resume(turn.u, ticket_id, turn.person)
    turn.reply(texts.RESUME_DONE.format(id=ticket.id, due=fmt_time(ticket.due_at, turn.u.rules.sla.timezone)))


COMMANDS: dict[str, Command] = {"pause": pause, "resume": resume}
ALIASES = {"挂起": "pause", "取消挂起": "resume"}
