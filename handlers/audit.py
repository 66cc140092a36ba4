"""The audit view (/history 12, 历史 12) and the points ledger's detail (我的积分 明细), page by page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from handlers import texts, texts_property
from models import followers, points, tickets
from models.errors import BadInput, Refusal
from models.events import EventKind
from models.store.unit_of_work import Unit
from models.tables import PointsEntry, Ticket, TicketEvent

from . import ideas
from .arguments import ticket_arg
from .normalise import ticket_number
from .render import category_name, fmt_duration, fmt_time, person_name, role_name
from .spec import Spec, Who
from .turn import Turn

PAGE = 15  # lines per page: a long trail stays readable in one chat message


@dataclass(frozen=True)
class Entry:
    """One line of the trail: when, what, who, and the detail."""

    at: datetime
    event: str
    actor_id: int | None
    detail: str


def _page_of(args: list[str], at: int, usage: str) -> int:
    """The page asked for (1 when none); a page that is no number is bad input."""
    if len(args) <= at:
        return 1
    page = ticket_number(args[at])
    if page is None or page < 1:
        raise BadInput(Refusal.USAGE, usage=usage)
    return page


def _pages(count: int) -> int:
    return max(1, -(-count // PAGE))


# --- what each event kind says about itself --------------------------------------------------


def _split(note: str | None, sep: str) -> tuple[str, str]:
    head, _, tail = (note or "").partition(sep)
    return head.strip(), tail.strip()


def _created(u: Unit, note: str | None) -> str:
    return texts.HISTORY_DETAIL["created"].format(source=texts.SOURCE.get(note or "self", note or ""))


def _assigned(u: Unit, note: str | None) -> str:
    return texts.HISTORY_DETAIL["assigned"].format(name=note or "")


def _met(u: Unit, note: str | None) -> str:
    return texts.HISTORY_DETAIL["met_repeat"] if note == "repeat" else ""


def _with_note(key: str) -> Callable[[Unit, str | None], str]:
    def detail(u: Unit, note: str | None) -> str:
        return texts.HISTORY_DETAIL[key].format(note=note) if note else ""

    return detail


def _tier(u: Unit, note: str | None) -> str:
    change, reason = _split(note, ":")
    old, _, new = change.partition("->")
    if old not in texts.TIER_SHORT or new not in texts.TIER_SHORT:
        return texts.HISTORY_DETAIL["tier_plain"].format(note=note or "")
    return texts.HISTORY_DETAIL["tier"].format(
        old=texts.TIER_SHORT[old], new=texts.TIER_SHORT[new], reason=reason
    )


def _plan(u: Unit, note: str | None) -> str:
    day, plan = _split(note, ":")
    return texts.HISTORY_DETAIL["plan"].format(date=day, plan=plan)


def _closed(u: Unit, note: str | None) -> str:
    return texts.HISTORY_DETAIL["closed"].format(rating=texts.RATING.get(note or "", note or ""))


def _merged(u: Unit, note: str | None) -> str:
    return texts.HISTORY_DETAIL["merged"].format(into=note or "")


def _level(value: str) -> str:
    return texts.LEVEL.get(int(value), value) if value.isdigit() else value


def _escalated(u: Unit, note: str | None) -> str:
    why, level = _split(note, ":")
    key = "escalated_unclaimed" if why == "unclaimed" else "escalated_overdue"
    return texts.HISTORY_DETAIL[key].format(level=_level(level))


def _overdue(u: Unit, note: str | None) -> str:
    return texts.HISTORY_DETAIL["overdue"].format(level=_level(note or ""))


def _reminded(u: Unit, note: str | None) -> str:
    _, fraction = _split(note, ":")
    try:
        percent = round(float(fraction) * 100)
    except ValueError:
        return ""
    return texts.HISTORY_DETAIL["reminded"].format(percent=percent)


def _overdue_reminded(u: Unit, note: str | None) -> str:
    _, count = _split(note, ":")
    return texts.HISTORY_DETAIL["overdue_reminded"].format(count=count)


def _followup_reminded(u: Unit, note: str | None) -> str:
    question = texts.FOLLOWUP_QUESTION.get(note or "1", "")
    return texts.HISTORY_DETAIL["followup_reminded"].format(question=question)


def _progress(u: Unit, note: str | None) -> str:
    return texts.HISTORY_DETAIL["progress"]


def _area(u: Unit, code: str) -> str:
    area = u.tree.by_code(code)
    return area.name if area is not None else code


def _moved(u: Unit, note: str | None) -> str:
    old, new = _split(note, "->")
    if not new:
        return texts.HISTORY_DETAIL["tier_plain"].format(note=note or "")
    return texts.HISTORY_DETAIL["moved"].format(old=_area(u, old), new=_area(u, new))


def _recategorised(u: Unit, note: str | None) -> str:
    old, new = _split(note, "->")
    return texts.HISTORY_DETAIL["recategorised"].format(
        old=category_name(u.session, old), new=category_name(u.session, new)
    )


def _phone_followup(u: Unit, note: str | None) -> str:
    stage, said = _split(note, ":")
    yes = said == "y"
    if stage == "2":
        answer = texts.BTN_SATISFIED if yes else texts.BTN_UNSATISFIED
    else:
        answer = texts.BTN_YES if yes else texts.BTN_NO
    question = texts.FOLLOWUP_QUESTION.get(stage, "")
    return texts.HISTORY_DETAIL["phone_followup"].format(question=question, answer=answer)


def _released(u: Unit, note: str | None) -> str:
    previous = ticket_number(note or "")
    return texts.HISTORY_DETAIL["released"].format(name=person_name(u.session, previous))


def _unfollowed(u: Unit, note: str | None) -> str:
    follower = ticket_number(note or "")
    return texts.HISTORY_DETAIL["unfollowed"].format(name=person_name(u.session, follower))


def _city_request(u: Unit, note: str | None) -> str:
    return texts.HISTORY_DETAIL["city_request"].format(note=note or "")


def _extension(u: Unit, note: str | None) -> str:
    day, said = _split(note, ": ")
    return texts.HISTORY_DETAIL["extension"].format(date=day, note=said)


def _city_visit(u: Unit, note: str | None) -> str:
    flags = (note or "nnn").ljust(3, "n")
    words = [texts.ANSWER.get(c, c) for c in flags[:3]]
    return texts.HISTORY_DETAIL["city_visit"].format(
        responded=words[0], resolved=words[1], satisfied=words[2]
    )


def _paused(u: Unit, note: str | None) -> str:
    day, said = _split(note, ": ")
    return texts.HISTORY_DETAIL["paused"].format(date=day, note=said)


def _resumed(u: Unit, note: str | None) -> str:
    return texts.HISTORY_DETAIL["resumed"].format(minutes=note or "0")


def _backstopped(u: Unit, note: str | None) -> str:
    window = fmt_duration(u.rules.sla.property_claim_within)
    why = texts_property.HISTORY.get(note or "", "").format(window=window)
    return texts.HISTORY_DETAIL["backstopped"].format(why=why)


def _nothing(u: Unit, note: str | None) -> str:
    return ""


# Every event kind has its rendering here: a new kind without one fails tests/test_history.py.
DETAIL: dict[EventKind, Callable[[Unit, str | None], str]] = {
    EventKind.CREATED: _created,
    EventKind.GRABBED: _nothing,
    EventKind.ASSIGNED: _assigned,
    EventKind.MET: _met,
    EventKind.NOTE: _with_note("note"),
    EventKind.TIER: _tier,
    EventKind.PLAN: _plan,
    EventKind.RESOLVED: _with_note("resolved"),
    EventKind.RESULT_PHOTO: _nothing,
    EventKind.CONFIRMED_RESOLVED: _nothing,
    EventKind.REOPENED: _nothing,
    EventKind.CLOSED: _closed,
    EventKind.WITHDRAWN: _nothing,
    EventKind.REJECTED: _with_note("rejected"),
    EventKind.MERGED: _merged,
    EventKind.ESCALATED: _escalated,
    EventKind.OVERDUE: _overdue,
    EventKind.REMINDED: _reminded,
    EventKind.OVERDUE_REMINDED: _overdue_reminded,
    EventKind.FOLLOWUP_REMINDED: _followup_reminded,
    EventKind.PROGRESS: _progress,
    EventKind.MOVED: _moved,
    EventKind.RECATEGORISED: _recategorised,
    EventKind.PHONE_FOLLOWUP: _phone_followup,
    EventKind.RELEASED: _released,
    EventKind.UNFOLLOWED: _unfollowed,
    EventKind.RETURN_ASKED: _city_request,
    EventKind.RETURNED: _city_request,
    EventKind.RETURN_REFUSED: _city_request,
    EventKind.EXTENSION_ASKED: _extension,
    EventKind.EXTENDED: _extension,
    EventKind.EXTENSION_REFUSED: _city_request,
    EventKind.CITY_VISIT: _city_visit,
    EventKind.PAUSED: _paused,
    EventKind.RESUMED: _resumed,
    EventKind.IDEA_STAGE: ideas.history_detail,
    EventKind.ANSWERED: _with_note("answered"),
    EventKind.BACKSTOPPED: _backstopped,
}


def _detail(u: Unit, ev: TicketEvent) -> str:
    """The event's content; a kind this code does not know yet (a newer release wrote it) shows none."""
    try:
        kind = EventKind(ev.kind)
    except ValueError:
        return ""
    return DETAIL[kind](u, ev.note)


def event_detail(u: Unit, ev: TicketEvent) -> str:
    """The event's content in words as /history says it, without its leading colon (the office's timeline)."""
    return _detail(u, ev).removeprefix("：")


def entries(u: Unit, ticket: Ticket) -> list[Entry]:
    """The ticket's whole trail, oldest first: its events and the residents who followed it."""
    rows = u.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.at, TicketEvent.id)
    )
    out = [Entry(ev.at, texts.EVENT_NAME[ev.kind], ev.actor_id, _detail(u, ev)) for ev in rows]
    merged = select(TicketEvent).where(
        TicketEvent.kind == EventKind.MERGED.value,
        TicketEvent.ticket_id.in_(select(Ticket.id).where(Ticket.merged_into_id == ticket.id)),
    )
    for ev in u.session.scalars(merged):  # the duplicates folded into this ticket
        detail = texts.HISTORY_DETAIL["merged_in"].format(id=ev.ticket_id)
        out.append(Entry(ev.at, texts.EVENT_NAME[ev.kind], ev.actor_id, detail))
    for row in followers.of_ticket(u.session, ticket.id):
        name = texts.HISTORY_DETAIL["followed"].format(name=person_name(u.session, row.person_id))
        out.append(Entry(row.created_at, texts.HISTORY_FOLLOWED, row.person_id, name))
    return sorted(out, key=lambda e: e.at)  # stable: events keep their order within one moment


def _actor(u: Unit, person_id: int | None) -> str:
    role = role_name(u, person_id)
    if person_id is None:
        return role
    return texts.HISTORY_ACTOR.format(name=person_name(u.session, person_id), role=role)


def history(turn: Turn, args: list[str]) -> None:
    """/history ID [page] (历史 ID): the whole trail, for the ticket's handler and admins over it."""
    u = turn.u
    ticket_id = ticket_arg(args, HISTORY.usage)
    page = _page_of(args, 1, HISTORY.usage)
    ticket = u.session.get(Ticket, ticket_id)
    if ticket is None:
        turn.reply(texts.NOT_FOUND.format(id=ticket_id))
        return
    if ticket.handler_id != turn.person.id and not tickets.is_admin_over(u, turn.person, ticket):
        turn.reply(texts.HISTORY_NOT_ALLOWED.format(id=ticket_id))
        return
    trail = entries(u, ticket)
    pages = _pages(len(trail))
    if page > pages:
        turn.reply(texts.HISTORY_PAGE_EMPTY.format(id=ticket_id, pages=pages))
        return
    tz = u.rules.sla.timezone
    lines = [texts.HISTORY_HEADER.format(id=ticket.id, count=len(trail), page=page, pages=pages)]
    for e in trail[(page - 1) * PAGE : page * PAGE]:
        lines.append(
            texts.HISTORY_LINE.format(
                time=fmt_time(e.at, tz), event=e.event, actor=_actor(u, e.actor_id), detail=e.detail
            )
        )
    if page < pages:
        lines.append(texts.HISTORY_MORE.format(id=ticket.id, next=page + 1))
    turn.reply("\n".join(lines))


def ledger(turn: Turn, args: list[str]) -> None:
    """我的积分 明细 [page]: the person's ledger rows, newest first, with reason, ticket and time."""
    u, pid = turn.u, turn.person.id
    page = _page_of(args, 0, "我的积分 明细 [页码]")
    count = int(
        u.session.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.person_id == pid))
        or 0
    )
    if count == 0:
        turn.reply(texts.LEDGER_EMPTY)
        return
    pages = _pages(count)
    if page > pages:
        turn.reply(texts.LEDGER_PAGE_EMPTY.format(pages=pages))
        return
    rows = u.session.scalars(
        select(PointsEntry)
        .where(PointsEntry.person_id == pid)
        .order_by(PointsEntry.at.desc(), PointsEntry.id.desc())
        .offset((page - 1) * PAGE)
        .limit(PAGE)
    )
    tz = u.rules.sla.timezone
    total = points.total(u.session, pid)
    lines = [texts.LEDGER_HEADER.format(count=count, total=total, page=page, pages=pages)]
    for row in rows:
        ticket = texts.LEDGER_TICKET.format(id=row.ticket_id) if row.ticket_id is not None else ""
        lines.append(
            texts.LEDGER_LINE.format(
                time=fmt_time(row.at, tz),
                reason=texts.POINTS_REASON.get(row.reason, row.reason),
                delta=f"{row.delta:+d}",
                ticket=ticket,
            )
        )
    if page < pages:
        lines.append(texts.LEDGER_MORE.format(next=page + 1))
    turn.reply("\n".join(lines))


HISTORY = Spec(
    "history",
    history,
    Who.WORKER,
    texts.USAGE_HISTORY,
    ("历史",),
    menu=texts.MENU_HISTORY,
    personal=True,
    help=texts.HELP_HISTORY,
)
SPECS = (HISTORY,)
