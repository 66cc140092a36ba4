"""Personal data (PIPL): removed after the retention period, erased on request (/erase), shown (/mydata)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select

from handlers import texts
from models import ticket_photos
from models.errors import BadInput, NotAllowed, NotFound, Refusal
from models.people import admin_scopes, find_person, get_or_create_person
from models.security_log import SecurityKind, record
from models.store.unit_of_work import Unit
from models.tables import FINAL, Person, Ticket, TicketEvent, TicketFollower

from .masking import mask_private
from .render import category_name
from .spec import Spec, Who
from .turn import Turn

BATCH = 200
ERASED = "erased"  # the channel and id of the one person every anonymised ticket points to
ROUND_TO = 3  # decimal places kept of a point: about 100 m


def _nobody(u: Unit) -> Person:
    return get_or_create_person(u.session, ERASED, ERASED, u.now, name=texts.ERASED_NAME)


def _drop_file(stored: str | None) -> None:
    """Delete a locally stored photo (a channel's file id is not a file here and is just forgotten)."""
    if stored and not stored.startswith(("http://", "https://")):
        path = Path(stored)
        if path.is_file():
            path.unlink()


def strip(u: Unit, ticket: Ticket, nobody: Person) -> None:
    """Remove a ticket's personal data; what statistics need (category, area, times, outcome) stays."""
    ticket.phone = ticket.address = ticket.contact_name = ticket.media_url = None
    if ticket.lat is not None and ticket.lon is not None:
        ticket.lat, ticket.lon = round(ticket.lat, ROUND_TO), round(ticket.lon, ROUND_TO)
    _drop_file(ticket.photo)
    _drop_file(ticket.resolution_photo)
    for ref in ticket_photos.forget(u.session, ticket.id):
        _drop_file(ref)
    ticket.photo = ticket.resolution_photo = None
    ticket.description = mask_private(ticket.description)
    for event in u.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)):
        if event.note:
            event.note = mask_private(event.note)
    ticket.resident_id = nobody.id
    u.session.execute(delete(TicketFollower).where(TicketFollower.ticket_id == ticket.id))
    ticket.anonymised_at = u.now


def sweep(u: Unit) -> int:
    """Anonymise up to a batch of tickets closed longer ago than the retention period; return how many."""
    cutoff = u.now - timedelta(days=u.rules.retention_days)
    due = list(
        u.session.scalars(
            select(Ticket)
            .where(Ticket.status.in_(FINAL), Ticket.closed_at < cutoff, Ticket.anonymised_at.is_(None))
            .order_by(Ticket.id)
            .limit(BATCH)
        )
    )
    if not due:
        return 0
    nobody = _nobody(u)
    for ticket in due:
        strip(u, ticket, nobody)
    record(
        u.session,
        u.now,
        SecurityKind.RETENTION,
        source="scheduler",
        detail=f"tickets={len(due)} closed before {cutoff:%Y-%m-%d}",
    )
    return len(due)


def erase_person(u: Unit, person: Person) -> int:
    """Erase one resident's personal data now: every ticket of his, his name, handle and chat id."""
    nobody = _nobody(u)
    mine = list(u.session.scalars(select(Ticket).where(Ticket.resident_id == person.id)))
    for ticket in mine:
        strip(u, ticket, nobody)
    u.session.execute(delete(TicketFollower).where(TicketFollower.person_id == person.id))
    person.name, person.handle, person.chat_id = "", None, None
    person.external_id = f"{ERASED}:{person.id}"  # writing again, he is someone new
    return len(mine)


def erase(turn: Turn, args: list[str]) -> None:
    """/erase USER: a subdistrict admin erases a resident's personal data at his request."""
    if turn.u.tree.top().id not in admin_scopes(turn.u.session, turn.person.id):
        raise NotAllowed(Refusal.ERASE_TOP_ADMIN_ONLY)
    if len(args) != 1:
        raise BadInput(Refusal.USAGE, usage=ERASE.usage)
    person = find_person(turn.u.session, args[0], turn.msg.channel)
    if person is None or person.channel == ERASED:
        raise NotFound(Refusal.USER_NOT_FOUND, user=args[0])
    count = erase_person(turn.u, person)
    record(
        turn.u.session,
        turn.u.now,
        SecurityKind.ERASED,
        person_id=turn.person.id,
        source="chat",
        detail=f"person={person.id} tickets={count}",
    )
    turn.reply(texts.ERASE_DONE.format(id=person.id, count=count))


def _kept(u: Unit, t: Ticket) -> str:
    parts = [
        texts.MYDATA_FIELD[name]
        for name, present in (
            ("phone", t.phone),
            ("address", t.address),
            ("location", t.lat is not None),
            ("photo", t.photo or t.resolution_photo),
            ("name", t.contact_name),
        )
        if present
    ]
    until = (
        texts.MYDATA_UNTIL.format(
            day=(t.closed_at + timedelta(days=u.rules.retention_days)).strftime("%Y-%m-%d")
        )
        if t.closed_at is not None
        else texts.MYDATA_OPEN
    )
    return texts.MYDATA_TICKET.format(
        id=t.id,
        category=category_name(u.session, t.category_code),
        status=texts.STATUS[t.status],
        kept="、".join(parts) or texts.MYDATA_NOTHING,
        until=until,
    )


def mydata(turn: Turn, args: list[str]) -> None:
    """/mydata: what Jiesu keeps about the sender, and until when."""
    person = turn.person
    mine = list(
        turn.u.session.scalars(
            select(Ticket).where(Ticket.resident_id == person.id).order_by(Ticket.id.desc()).limit(20)
        )
    )
    lines = [texts.MYDATA_HEAD.format(name=person.name or "-", days=turn.u.rules.retention_days)]
    lines += [_kept(turn.u, t) for t in mine] or [texts.MYDATA_NO_TICKETS]
    turn.reply("\n".join(lines))


MYDATA = Spec(
    "mydata", mydata, Who.RESIDENT, texts.USAGE_MYDATA, ("我的信息",), personal=True, help=texts.HELP_MYDATA
)
ERASE = Spec("erase", erase, Who.ADMIN, texts.ERASE_USAGE, help=texts.HELP_ERASE)
SPECS = (MYDATA, ERASE)
