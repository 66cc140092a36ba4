"""/pause and /resume (挂起): a handler stops a ticket's clock while waiting, and lets it run again."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models import pause as pausing

from . import texts
from .arguments import ticket_arg
from .dates import end_of_named_day
from .render import fmt_time
from .spec import Spec, Who
from .turn import Turn


def pause(turn: Turn, args: list[str]) -> None:
    """/pause ID DAY REASON: stop the clock until that day at most (2026-12-20, 12月20日, 下周一…)."""
    ticket_id = ticket_arg(args, texts.PAUSE_USAGE, 3)
    zone = ZoneInfo(turn.u.rules.sla.timezone)
    until = end_of_named_day(turn.u, args[1], texts.PAUSE_USAGE)
    ticket = pausing.pause(turn.u, ticket_id, turn.person, until, " ".join(args[2:]))
    turn.reply(texts.PAUSE_DONE.format(id=ticket.id, until=fmt_time(ticket.pause_until, zone.key)))


def resume(turn: Turn, args: list[str]) -> None:
    """/resume ID: the clock runs again; the deadline has moved by the time paused."""
    ticket_id = ticket_arg(args, texts.RESUME_USAGE, 1)
    ticket = pausing.resume(turn.u, ticket_id, turn.person)
    turn.reply(texts.RESUME_DONE.format(id=ticket.id, due=fmt_time(ticket.due_at, turn.u.rules.sla.timezone)))


PAUSE = Spec("pause", pause, Who.WORKER, texts.PAUSE_USAGE, ("挂起",), help=texts.HELP_PAUSE)
RESUME = Spec("resume", resume, Who.WORKER, texts.RESUME_USAGE, ("取消挂起",), help=texts.HELP_RESUME)
SPECS = (PAUSE, RESUME)
