"""Who hears about a ticket: the resident, the handler, the grid's group, the admins."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers import texts

from .messages import Button, Reply
from .people import admins_over
from .render import category_name, fmt_time, person_name, short_description
from .sla import tier_days
from .tables import Area, Outbox, Person, Status, Ticket, TicketFollower
from .territory import chats_up_from
from .unit import Unit


def to_person(
    u: Unit,
    person: Person,
    text: str,
    *,
    buttons: tuple[Button, ...] = (),
    photo: str | None = None,
    ticket_id: int | None = None,
) -> None:
    """Queue a private message to a person on their own channel."""
    u.send(
        Reply(person.channel, person.chat_id or person.external_id, text, buttons, photo, ticket_id=ticket_id)
    )


def to_resident(
    u: Unit, ticket: Ticket, text: str, *, buttons: tuple[Button, ...] = (), photo: str | None = None
) -> None:
    """Tell the resident (or the staff member who filed for them) about their ticket."""
    person = u.session.get(Person, ticket.resident_id)
    if person is not None:
        to_person(u, person, text, buttons=buttons, photo=photo, ticket_id=ticket.id)
    _to_followers(u, ticket, text, buttons, photo)


def _to_followers(u: Unit, ticket: Ticket, text: str, buttons: tuple[Button, ...], photo: str | None) -> None:
    """Issue 12: residents following the ticket hear what its resident hears, with their own 双是 buttons.

    The resident's second question (满意吗, fu2) answers the resident's own 是: followers get theirs
    when they answer their own 解决了吗.
    """
    rows = list(u.session.scalars(select(TicketFollower).where(TicketFollower.ticket_id == ticket.id)))
    if not rows or (buttons and buttons[0].payload.startswith("fu2:")):
        return
    own = buttons
    if buttons and buttons[0].payload.startswith("fu1:"):
        own = tuple(Button(b.label, "ff1:" + b.payload.removeprefix("fu1:")) for b in buttons)
    for row in rows:
        if own is not buttons:
            row.followup_stage, row.followup_asked_at = 1, u.now
        follower = u.session.get(Person, row.person_id)
        if follower is not None:
            to_person(u, follower, text, buttons=own, photo=photo, ticket_id=ticket.id)


def to_handler(u: Unit, ticket: Ticket, text: str) -> None:
    """Tell the ticket's handler, if it has one."""
    if ticket.handler_id is not None:
        person = u.session.get(Person, ticket.handler_id)
        if person is not None:
            to_person(u, person, text, ticket_id=ticket.id)


def area_label(u: Unit, area_id: int) -> str:
    """Community and grid names, e.g. 四季社区 第一网格."""
    chain = [a for a in u.tree.ancestors(area_id) if a.parent_id is not None]
    return " ".join(a.name for a in reversed(chain)) or u.tree.by_id[area_id].name


def card_text(u: Unit, ticket: Ticket) -> str:
    """The card shown in group chats: never a phone number or exact address."""
    common = {
        "id": ticket.id,
        "category": category_name(u.session, ticket.category_code),
        "description": short_description(ticket.description),
        "area": area_label(u, ticket.area_id),
        "status": texts.CARD_STATUS[ticket.status],
    }
    followers = u.session.scalar(
        select(func.count()).select_from(TicketFollower).where(TicketFollower.ticket_id == ticket.id)
    )
    affected = texts.CARD_AFFECTED.format(count=followers + 1) if followers else ""  # issue 12
    return _card_text(u, ticket, common) + affected


def _card_text(u: Unit, ticket: Ticket, common: dict[str, object]) -> str:
    if ticket.status == Status.OPEN:
        return texts.CARD.format(
            tier=texts.TIER_SHORT[ticket.tier],
            created=fmt_time(ticket.created_at, u.rules.sla.timezone),
            **common,
        )
    if ticket.status in (Status.CLAIMED, Status.RESOLVED):
        return texts.CARD_CLAIMED.format(handler=person_name(u.session, ticket.handler_id), **common)
    return texts.CARD_CLOSED.format(**common)


def grab_button(ticket: Ticket) -> tuple[Button, ...]:
    """The 抢单 button of an open ticket's card."""
    return (Button(texts.BTN_GRAB, f"grab:{ticket.id}"),) if ticket.status == Status.OPEN else ()


def post_card(u: Unit, ticket: Ticket, text: str | None = None) -> int:
    """Post the ticket's card to the nearest bound group up the tree; tell admins if none."""
    chats = chats_up_from(u.session, u.tree, ticket.area_id)
    for chat in chats:
        u.send(
            Reply(
                chat.channel,
                chat.chat_id,
                text or card_text(u, ticket),
                grab_button(ticket),
                ticket_id=ticket.id,
                card_of=ticket.id if text is None else None,
            )
        )
    if not chats:
        area: Area = u.tree.by_id[ticket.area_id]
        warning = texts.CARD_NO_CHAT.format(id=ticket.id, area=area_label(u, area.id), code=area.code)
        for admin in admins_over(u.session, u.tree, ticket.area_id):
            to_person(u, admin, warning, ticket_id=ticket.id)
    return len(chats)


def refresh_card(u: Unit, ticket: Ticket) -> None:
    """Edit every card of this ticket to show its current state."""
    places = u.session.execute(
        select(Outbox.channel, Outbox.chat_id)
        .where(Outbox.card_of == ticket.id, Outbox.edit_of.is_(None))
        .distinct()
    ).all()
    text = card_text(u, ticket)
    for channel, chat_id in places:
        u.send(Reply(channel, chat_id, text, grab_button(ticket), ticket_id=ticket.id, card_of=ticket.id))


def due_text(u: Unit, ticket: Ticket) -> str:
    """The deadline in local time; else when it will be (open ticket) or that there is none."""
    if ticket.due_at is not None:
        return fmt_time(ticket.due_at, u.rules.sla.timezone)
    days = tier_days(ticket.tier, u.rules.sla)
    return texts.DUE_NONE if days is None else texts.DUE_AFTER_CLAIM.format(days=days)
