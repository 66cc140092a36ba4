"""The daily digest (每日督办简报) for the subdistrict admins, sent once a day by any one process."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from handlers import texts

from . import stats
from .notify import area_label, to_person
from .people import admins_over
from .render import category_name, fmt_duration, person_name
from .seen import first_time
from .tables import Status, Ticket
from .unit import Unit

SHOWN = 20


def moment(day: date, at: time, tz: str) -> datetime:
    """The instant of a local time of day."""
    return datetime.combine(day, at, ZoneInfo(tz))


def overdue_lines(u: Unit, area_ids: set[int] | None = None, limit: int = 200) -> list[str]:
    """Late claimed tickets, then open ones past the claim window, as /overdue lines."""
    late = stats.overdue(u.session, u.now, area_ids, limit)
    waiting = stats.unclaimed_since(u.session, u.now - u.rules.sla.claim_within, area_ids, limit)
    rows = [(t, u.now - missed) for t in late if (missed := stats.late_since(t)) is not None]
    rows += [(t, u.now - t.created_at - u.rules.sla.claim_within) for t in waiting]
    return [
        texts.OVERDUE_LINE.format(
            id=t.id,
            category=category_name(u.session, t.category_code),
            area=area_label(u, t.area_id),
            handler=person_name(u.session, t.handler_id),
            late=fmt_duration(late_by),
        )
        for t, late_by in rows
    ]


def text_for(u: Unit, day: date) -> str:
    """The digest of one local day: what is open, what came in and went out yesterday, what is late."""
    tz = u.rules.sla.timezone
    start = moment(day - timedelta(days=1), time(0), tz)
    end = moment(day, time(0), tz)
    by_status = dict(
        u.session.execute(
            select(Ticket.status, func.count())
            .where(Ticket.status.in_((Status.OPEN, Status.CLAIMED, Status.RESOLVED)))
            .group_by(Ticket.status)
        ).all()
    )
    new = u.session.scalar(select(func.count()).where(Ticket.created_at >= start, Ticket.created_at < end))
    solved = u.session.scalar(
        select(func.count()).where(Ticket.resolved_at >= start, Ticket.resolved_at < end)
    )
    counts = {s: int(by_status.get(s, 0)) for s in (Status.OPEN, Status.CLAIMED, Status.RESOLVED)}
    lines = [
        texts.DIGEST_HEADER.format(
            date=f"{day.month}月{day.day}日",
            active=sum(counts.values()),
            open=counts[Status.OPEN],
            claimed=counts[Status.CLAIMED],
            resolved=counts[Status.RESOLVED],
            new=int(new or 0),
            solved=int(solved or 0),
        )
    ]
    late = overdue_lines(u)
    if not late:
        lines.append(texts.DIGEST_NONE)
    else:
        lines.append(texts.DIGEST_OVERDUE.format(count=len(late)))
        lines += late[:SHOWN]
        if len(late) > SHOWN:
            lines.append(texts.DIGEST_MORE.format(count=len(late) - SHOWN))
    return "\n".join(lines)


def send(u: Unit, day: date) -> bool:
    """Send the digest of a local day to the subdistrict admins, unless some process already did."""
    if not u.tree.by_id:
        return False
    if not first_time(u.session, "digest", day.isoformat(), u.now):
        return False
    top = u.tree.top()
    text = text_for(u, day)
    for admin in admins_over(u.session, u.tree, top.id):
        to_person(u, admin, text)
    return True


def due_between(after: datetime, until: datetime, at: time, tz: str) -> date | None:
    """The local day whose digest time falls in (after, until], if any (the latest one)."""
    zone = ZoneInfo(tz)
    day = until.astimezone(zone).date()
    while True:
        when = moment(day, at, tz)
        if when <= after:
            return None
        if when <= until:
            return day
        day -= timedelta(days=1)
