"""The daily digest in words, and the /overdue lines it shares with the admins' command."""

from __future__ import annotations

from datetime import date

from models.reports import digest
from models.store.unit_of_work import Unit

from .. import texts
from ..notify import to_person
from ..render import area_label, category_name, fmt_elapsed, person_name

SHOWN = 20


def overdue_lines(u: Unit, area_ids: set[int] | None = None, limit: int = 200) -> list[str]:
    """Late claimed tickets, then open ones past the claim window, as /overdue lines."""
    return [
        texts.OVERDUE_LINE.format(
            id=t.id,
            category=category_name(u.session, t.category_code),
            area=area_label(u, t.area_id),
            handler=person_name(u.session, t.handler_id),
            late=fmt_elapsed(late_by, texts.LATE, texts.LATE_JUST_NOW),
        )
        for t, late_by in digest.late_tickets(u, area_ids, limit)
    ]


def text_for(u: Unit, day: date) -> str:
    """The digest of one local day: what is open, what came in and went out yesterday, what is late."""
    f = digest.figures(u, day)
    lines = [
        texts.DIGEST_HEADER.format(
            date=f"{day.month}月{day.day}日",
            active=f.active,
            open=f.open,
            claimed=f.claimed,
            resolved=f.resolved,
            new=f.new,
            solved=f.solved,
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
    admins = digest.take_turn(u, day)
    if admins is None:
        return False
    text = text_for(u, day)
    for admin in admins:
        to_person(u, admin, text)
    return True
