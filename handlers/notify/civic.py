"""Who hears of 双向积分+: the proposer at each 金点子 step, the resident paid for a confirmed report."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from models import points
from models.civic_points import REASON as REPORT
from models.events import EventKind, Happened
from models.ideas import stage_of
from models.store.unit_of_work import Unit
from models.tables import Ticket

from .. import texts
from .deliver import to_resident


def _idea_staged(u: Unit, h: Happened) -> None:
    t = h.ticket
    stage = stage_of(u.session, t.id)
    reason = texts.R_IDEA_REASON.format(reason=h.said) if h.said else ""
    told = texts.R_IDEA_STAGE.format(id=t.id, stage=texts.IDEA_STAGE[stage], reason=reason)
    if h.points:
        told += texts.R_IDEA_ADOPTED_POINTS.format(points=h.points)
    to_resident(u, t, told, followers=False)


def report_points(u: Unit, t: Ticket) -> None:
    """On closing: tell the resident what his confirmed report earned (when it earned anything)."""
    if u.rules.points.report and points.earned(u.session, t.resident_id, t.id, REPORT):
        to_resident(
            u, t, texts.R_REPORT_POINTS.format(id=t.id, points=u.rules.points.report), followers=False
        )


CIVIC_SAY: Mapping[EventKind, Callable[[Unit, Happened], None]] = {EventKind.IDEA_STAGE: _idea_staged}
