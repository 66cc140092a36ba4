"""Who hears of a 挂起: the resident (with the reason and the date), the handler when it ends by itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from models.events import EventKind, Happened
from models.store.unit_of_work import Unit

from .. import texts
from ..render import fmt_time
from .deliver import refresh_card, to_handler, to_resident


def _paused(u: Unit, h: Happened) -> None:
    t = h.ticket
    refresh_card(u, t)
    until = fmt_time(t.pause_until, u.rules.sla.timezone)
    to_resident(u, t, texts.R_PAUSED.format(id=t.id, reason=h.said, until=until))


def _resumed(u: Unit, h: Happened) -> None:
    t = h.ticket
    refresh_card(u, t)
    to_resident(u, t, texts.R_RESUMED.format(id=t.id))
    if h.actor is None:  # the limit came: the handler hears the clock runs again
        to_handler(u, t, texts.W_RESUMED.format(id=t.id, due=fmt_time(t.due_at, u.rules.sla.timezone)))


PAUSE_SAY: Mapping[EventKind, Callable[[Unit, Happened], None]] = {
    EventKind.PAUSED: _paused,
    EventKind.RESUMED: _resumed,
}
