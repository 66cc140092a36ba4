"""夜访日记 in chat and on the web: 夜访 records a visit, 夜访需求 files a need (代办), 夜访记录 lists."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models import night_visits, tickets
from models.errors import BadInput, NotAllowed, Refusal
from models.refdata import catalogue
from models.store.unit_of_work import Unit
from models.tables import NightVisit, Person, Ticket

from . import texts, urgent
from .dates import parse_day
from .normalise import Shape, nfkc, ticket_number
from .notify import post_card
from .render import area_label, category_name, status_name
from .spec import Spec, Who
from .turn import Turn
from .understand import reader

SHOWN = 40  # characters of a need's description on a list


def visit_from(u: Unit, day: str, team: str, place: str, households: str, notes: str) -> night_visits.Visit:
    """A visit record from the words typed (chat) or the web form's fields; a clear refusal if unreadable."""
    zone = ZoneInfo(u.rules.sla.timezone)
    visited_on = parse_day(day, u.now.astimezone(zone).date()) if day.strip() else None
    if visited_on is None:
        raise BadInput(Refusal.VISIT_DATE_BAD, date=day)
    count = nfkc(households).strip().removesuffix("户")
    if not count.isdigit() or len(count) > 6:
        raise BadInput(Refusal.VISIT_HOUSEHOLDS_BAD, count=households)
    return night_visits.Visit(visited_on, team, place, int(count), notes)


def guess_category(u: Unit, description: str) -> str:
    """The category a need's words suggest (its catch-all item when a branch), else the last catch-all."""
    cats = catalogue(u.session)
    found = reader().categories(description, 1, office=cats.keywords())
    code = found[0][0] if found and cats.get(found[0][0]) is not None else None
    if code is None:
        tops = cats.children(None)
        code = tops[-1].code  # the catalogue's last top category is its catch-all (其他)
    while children := cats.children(code):
        code = children[-1].code
    return code


def file_need(u: Unit, recorder: Person, visit_id: int, description: str) -> Ticket:
    """One need of a visit as a 代办 ticket in the visit's area, its card posted like any report's."""
    visit = night_visits.get(u.session, visit_id)
    description = " ".join(description.split())
    if len(description) < u.rules.limits.description_min:
        raise BadInput(Refusal.USAGE, usage=VISIT_NEED.usage)
    draft = tickets.Draft(
        category_code=guess_category(u, description),
        description=description[: u.rules.limits.description_max],
        area_id=visit.area_id,
        address=visit.place,
        source=night_visits.SOURCE,
        contact_name=visit.team,
    )
    ticket = night_visits.file_need(u, recorder, visit.id, draft)
    post_card(u, ticket)
    urgent.alert_if_urgent(u, ticket)
    return ticket


def record(turn: Turn, args: list[str]) -> None:
    """夜访 日期 小组 地点 户数 [情况]."""
    if len(args) < 4:
        raise BadInput(Refusal.USAGE, usage=NIGHTVISIT.usage)
    u = turn.u
    day, team, place, households = args[:4]
    visit = night_visits.record(
        u, turn.person, visit_from(u, day, team, place, households, " ".join(args[4:]))
    )
    turn.reply(
        texts.VISIT_RECORDED.format(
            id=visit.id,
            date=visit.visited_on.isoformat(),
            team=visit.team,
            place=visit.place,
            area=area_label(u, visit.area_id),
            households=visit.households,
        )
    )


def need(turn: Turn, args: list[str]) -> None:
    """夜访需求 V 需求内容."""
    visit_id = ticket_number(args[0]) if args else None
    if visit_id is None or len(args) < 2:
        raise BadInput(Refusal.USAGE, usage=VISIT_NEED.usage)
    ticket = file_need(turn.u, turn.person, visit_id, " ".join(args[1:]))
    turn.reply(
        texts.VISIT_NEED_FILED.format(
            visit=visit_id,
            id=ticket.id,
            category=category_name(turn.u.session, ticket.category_code),
            area=area_label(turn.u, ticket.area_id),
        )
    )


def visit_detail(u: Unit, visit: NightVisit) -> str:
    """One visit in words: the chat's 夜访记录 V, the office's visit page, its 交办单 (print and sheet)."""
    return texts.VISIT_DETAIL.format(
        id=visit.id,
        date=visit.visited_on.isoformat(),
        team=visit.team,
        place=visit.place,
        area=area_label(u, visit.area_id),
        households=visit.households,
        notes=visit.notes or texts.NONE,
    )


def detail_lines(u: Unit, visit: NightVisit) -> list[str]:
    """One visit and its tickets, in words."""
    lines = [visit_detail(u, visit)]
    rows = night_visits.tickets_of(u.session, visit.id)
    lines += [
        texts.VISIT_TICKET_LINE.format(
            id=t.id,
            category=category_name(u.session, t.category_code),
            status=status_name(t.status, staff=True),
            description=t.description[:SHOWN],
        )
        for t in rows
    ] or [texts.VISIT_NO_TICKETS]
    return lines


def listing(turn: Turn, args: list[str]) -> None:
    """夜访记录 [V]: the latest visits, or one visit with its tickets (staff only)."""
    if not night_visits.office_areas(turn.u.session, turn.person):
        raise NotAllowed(Refusal.NOT_STAFF)
    u = turn.u
    if args:
        visit_id = ticket_number(args[0])
        if visit_id is None:
            raise BadInput(Refusal.USAGE, usage=NIGHTVISITS.usage)
        turn.reply("\n".join(detail_lines(u, night_visits.get(u.session, visit_id))))
        return
    visits = night_visits.recent(u.session, limit=20)
    if not visits:
        turn.reply(texts.VISITS_EMPTY)
        return
    lines = [texts.VISITS_HEADER]
    for v in visits:
        count = len(night_visits.tickets_of(u.session, v.id))
        lines.append(
            texts.VISITS_LINE.format(
                id=v.id,
                date=v.visited_on.isoformat(),
                team=v.team,
                place=v.place,
                households=v.households,
                count=count,
            )
        )
    turn.reply("\n".join(lines))


NIGHTVISIT = Spec(
    "nightvisit",
    record,
    Who.WORKER,
    texts.USAGE_NIGHTVISIT,
    ("夜访",),
    Shape(4, True),
    menu=texts.MENU_NIGHTVISIT,
    personal=True,
    help=texts.HELP_NIGHTVISIT,
)
VISIT_NEED = Spec(
    "visit_need",
    need,
    Who.WORKER,
    texts.USAGE_VISIT_NEED,
    ("夜访需求",),
    Shape(1, True),
    help=texts.HELP_VISIT_NEED,
)
NIGHTVISITS = Spec(
    "nightvisits", listing, Who.WORKER, texts.USAGE_NIGHTVISITS, ("夜访记录",), help=texts.HELP_NIGHTVISITS
)
SPECS = (NIGHTVISIT, VISIT_NEED, NIGHTVISITS)
