"""Queue messages to the resident, the handler, a person, and the ticket's cards in group chats."""

from __future__ import annotations

from sqlalchemy import select

from models import followers
from models.mediation_routing import is_mediation
from models.mediation_routing import team as mediator_team
from models.messages import Button, Reply
from models.outbox import detach_cards
from models.people import admins_over, has_chat
from models.property_first import claim_ends, staff_of, with_company
from models.store.unit_of_work import Unit
from models.tables import Area, Outbox, Person, Status, Ticket
from models.territory import chats_up_from

from .. import texts, texts_property
from ..hotline_text import city_tag
from ..masking import mask_private
from ..payloads import FollowerSolved, FollowupSatisfied, FollowupSolved, Grab, PayloadError, Press, unpack
from ..render import area_label, category_name, fmt_time, person_name, short_description


def to_person(
    u: Unit,
    person: Person,
    text: str,
    *,
    buttons: tuple[Button, ...] = (),
    photo: str | None = None,
    ticket_id: int | None = None,
) -> None:
    """Queue a private message to a person on their own channel (none to an API client's tickets)."""
    if not has_chat(person):
        return
    u.send(
        Reply(person.channel, person.chat_id or person.external_id, text, buttons, photo, ticket_id=ticket_id)
    )


def to_group(
    u: Unit,
    channel: str,
    chat_id: str,
    text: str,
    buttons: tuple[Button, ...] = (),
    *,
    ticket_id: int | None = None,
    card_of: int | None = None,
) -> None:
    """Queue a message to a group chat: the one door to groups, so everything sent there is masked."""
    u.send(Reply(channel, chat_id, mask_private(text), buttons, ticket_id=ticket_id, card_of=card_of))


def to_resident(
    u: Unit,
    ticket: Ticket,
    text: str,
    *,
    buttons: tuple[Button, ...] = (),
    photo: str | None = None,
    followers: bool = True,
) -> None:
    """Tell the resident (or the staff member who filed for them) about their ticket, and its followers."""
    person = u.session.get(Person, ticket.resident_id)
    if person is not None:
        to_person(u, person, text, buttons=buttons, photo=photo, ticket_id=ticket.id)
    if followers:
        to_followers(u, ticket, text, buttons, photo)


def to_followers(
    u: Unit, ticket: Ticket, text: str, buttons: tuple[Button, ...] = (), photo: str | None = None
) -> None:
    """Residents following the ticket hear what its resident hears, with their own 双是 buttons.

    The resident's second question (满意吗) answers the resident's own 是: followers get theirs
    when they answer their own 解决了吗.
    """
    rows = followers.of_ticket(u.session, ticket.id)
    first = _press(buttons[0].payload) if buttons else None
    if not rows or isinstance(first, FollowupSatisfied):
        return
    own = buttons
    if isinstance(first, FollowupSolved):
        own = tuple(Button(b.label, _as_follower(b.payload)) for b in buttons)
    for row in rows:
        if own is not buttons:
            row.followup_stage, row.followup_asked_at = 1, u.now
        follower = u.session.get(Person, row.person_id)
        if follower is not None:
            to_person(u, follower, text, buttons=own, photo=photo, ticket_id=ticket.id)


def _press(payload: str) -> Press | None:
    try:
        return unpack(payload)
    except PayloadError:
        return None


def _as_follower(payload: str) -> str:
    """The follower's own 是/否 button for the resident's one."""
    press = unpack(payload)
    assert isinstance(press, FollowupSolved)
    return FollowerSolved(press.ticket_id, press.yes).pack()


def to_handler(u: Unit, ticket: Ticket, text: str) -> None:
    """Tell the ticket's handler, if it has one."""
    if ticket.handler_id is not None:
        person = u.session.get(Person, ticket.handler_id)
        if person is not None:
            to_person(u, person, text, ticket_id=ticket.id)


def card_text(u: Unit, ticket: Ticket) -> str:
    """The card shown in group chats: never a phone number or exact address."""
    common = {
        "id": ticket.id,
        "category": category_name(u.session, ticket.category_code),
        "description": short_description(ticket.description),
        "area": area_label(u, ticket.area_id),
        "status": texts.CARD_STATUS[ticket.status],
    }
    following = followers.count(u.session, ticket.id)
    affected = texts.CARD_AFFECTED.format(count=following + 1) if following else ""
    return city_tag(u, ticket) + _card_text(u, ticket, common) + affected


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
    return (Button(texts.BTN_GRAB, Grab(ticket.id).pack()),) if ticket.status == Status.OPEN else ()


def post_card(u: Unit, ticket: Ticket, text: str | None = None) -> int:
    """Post the ticket's card to the nearest bound group up the tree; tell admins if none.

    A dispute goes to its mediator team instead (post_to_team), when it has one; a property company's
    ticket (有事您找我) goes to the company's staff instead, each privately."""
    if with_company(ticket):
        return _to_company(u, ticket)
    if post_to_team(u, ticket, text):
        return 0
    chats = chats_up_from(u.session, u.tree, ticket.area_id)
    for chat in chats:
        to_group(
            u,
            chat.channel,
            chat.chat_id,
            text or card_text(u, ticket),
            grab_button(ticket),
            ticket_id=ticket.id,
            card_of=ticket.id if text is None else None,
        )
    if not chats:
        area: Area = u.tree.by_id[ticket.area_id]
        warning = texts.CARD_NO_CHAT.format(id=ticket.id, area=area_label(u, area.id), code=area.code)
        for admin in admins_over(u.session, u.tree, ticket.area_id):
            to_person(u, admin, warning, ticket_id=ticket.id)
    return len(chats)


def post_to_team(u: Unit, ticket: Ticket, text: str | None = None) -> bool:
    """Send an open dispute's card, with 抢单, to each mediator who takes it now (the community's team,
    the 综治中心's once it climbs); False: not a dispute, or nobody to take it (the groups get it).

    The card is the ticket's own (later changes edit it), as in a grid's group."""
    if ticket.status != Status.OPEN or not is_mediation(u.session, ticket.category_code):
        return False
    people = mediator_team(u.session, u.tree, ticket)
    for person in people:
        to_group(
            u,
            person.channel,
            person.chat_id or person.external_id,
            text or card_text(u, ticket),
            grab_button(ticket),
            ticket_id=ticket.id,
            card_of=ticket.id if text is None else None,
        )
    return bool(people)


def _to_company(u: Unit, ticket: Ticket) -> int:
    """The company's card, with 抢单, to each of its staff: masked as in a group until one holds it."""
    assert ticket.property_id is not None
    until = claim_ends(ticket, u.rules.sla)
    text = texts_property.CARD.format(
        id=ticket.id,
        category=category_name(u.session, ticket.category_code),
        description=short_description(ticket.description),
        area=area_label(u, ticket.area_id),
        until=fmt_time(until, u.rules.sla.timezone),
    )
    staff = [p for p in staff_of(u.session, ticket.property_id) if has_chat(p)]
    for person in staff:
        chat = person.chat_id or person.external_id
        u.send(
            Reply(
                person.channel,
                chat,
                mask_private(text),
                grab_button(ticket),
                ticket_id=ticket.id,
                card_of=ticket.id,
            )
        )
    return len(staff)


def card_places(u: Unit, ticket: Ticket) -> list[tuple[str, str]]:
    """The chats (channel, chat id) that show a card of this ticket."""
    rows = u.session.execute(
        select(Outbox.channel, Outbox.chat_id)
        .where(Outbox.card_of == ticket.id, Outbox.edit_of.is_(None))
        .distinct()
    ).all()
    return [(channel, chat_id) for channel, chat_id in rows]


def refresh_card(u: Unit, ticket: Ticket) -> None:
    """Edit every card of this ticket to show its current state."""
    text = card_text(u, ticket)
    for channel, chat_id in card_places(u, ticket):
        to_group(u, channel, chat_id, text, grab_button(ticket), ticket_id=ticket.id, card_of=ticket.id)


def mark_moved(u: Unit, ticket: Ticket, area: str) -> None:
    """Turn every card of a moved ticket into a note of where it went; later changes leave them be."""
    text = texts.CARD_MOVED.format(
        id=ticket.id, category=category_name(u.session, ticket.category_code), area=area
    )
    for channel, chat_id in card_places(u, ticket):
        to_group(u, channel, chat_id, text, ticket_id=ticket.id, card_of=ticket.id)
    detach_cards(u.session, ticket.id)
