"""/pause and /resume (挂起): a handler stops a ticket's clock while waiting, and lets it run again."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from models import pause as pausing
from models.errors import BadInput, Refusal

from . import texts
from .arguments import ticket_arg
from .dates import parse_day
from .render import fmt_time
from .spec import Spec, Who
from .turn import Turn


def pause(turn: Turn, args: list[str]) -> None:
    """/pause ID DAY REASON: stop the clock until that day at most (2026-12-20, 12月20日, 下周一…)."""
    ticket_id = ticket_arg(args, texts.PAUSE_USAGE, 3)
    zone = ZoneInfo(turn.u.rules.sla.timezone)
    day = parse_day(args[1], turn.u.now.astimezone(zone).date())
    if day is None:
        raise BadInput(Refusal.USAGE, usage=texts.PAUSE_USAGE)
    until = datetime.combine(day, time(23, 59, 59), zone)
    ticket = pausing.pause(turn.u, ticket_id, turn.person, until, " ".join(args[2:]))
    turn.reply(texts.PAUSE_DONE.format(id=ticket.id, until=fmt_time(ticket.pause_until, zone.key)))


def resume(turn: Turn, args: list[str]) -> None:
    """/resume ID: the clock runs again; the deadline has moved by the time paused."""
    ticket_id = ticket_arg(args, texts.RESUME_USAGE, 1)
    ticket = pausing.resume(turn.u, ticket_id, turn.person)
    turn.reply(texts.RESUME_DONE.format(id=ticket.id, due=fmt_time(ticket.due_at, turn.u.rules.sla.timezone)))


PAUSE = Spec("pause", pause, Who.WORKER, texts.PAUSE_USAGE, ("挂起",))
RESUME = Spec("resume", resume, Who.WORKER, texts.RESUME_USAGE, ("取消挂起",))
SPECS = (PAUSE, RESUME)
