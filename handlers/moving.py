"""Moving a ticket (/move, 转派, and retiring areas or categories): who is told what."""

from __future__ import annotations

from handlers import texts
from models import tickets
from models.errors import BadInput, InvalidTransition, NotAllowed, NotFound
from models.messages import Reply
from models.notify import area_label, post_card, refresh_card, to_person, to_resident
from models.people import has_role
from models.render import category_name
from models.tables import ACTIVE, Area, AreaLevel, Category, Person, Role, Ticket
from models.ticket_move import detach_cards, relocate
from models.unit import Unit

from .textclean import parse_id
from .turn import Turn

TARGET_LEVELS = (AreaLevel.GRID, AreaLevel.COMMUNITY, AreaLevel.DEPARTMENT)


def move_to_area(u: Unit, ticket: Ticket, area: Area, actor: Person | None = None) -> str:
    """Re-route a ticket and tell everyone concerned; return the old area's label."""
    old_label = area_label(u, ticket.area_id)
    moved = relocate(u, ticket, area, actor)
    label = area_label(u, area.id)
    text = texts.CARD_MOVED.format(
        id=ticket.id, category=category_name(u.session, ticket.category_code), area=label
    )
    for channel, chat_id in moved.old_card_chats:
        u.send(Reply(channel, chat_id, text, (), ticket_id=ticket.id, card_of=ticket.id))
    detach_cards(u, ticket.id)
    post_card(u, ticket)
    if moved.released_id is not None:
        worker = u.session.get(Person, moved.released_id)
        if worker is not None:
            to_person(u, worker, texts.W_MOVED_AWAY.format(id=ticket.id, area=label), ticket_id=ticket.id)
    to_resident(u, ticket, texts.R_MOVED.format(id=ticket.id, area=label))
    return old_label


def move_to_category(u: Unit, ticket: Ticket, category: Category, actor: Person | None = None) -> None:
    """Give an open ticket another category (its own was retired); the card shows the new one."""
    old = ticket.category_code
    ticket.category_code = category.code
    tickets.event(u, ticket, actor, "recategorised", note=f"{old} -> {category.code}")
    refresh_card(u, ticket)


def move(turn: Turn, args: list[str]) -> None:
    """/move ID SCOPE (转派): an admin re-routes a misrouted ticket to a grid, community or department."""
    u = turn.u
    ticket_id = parse_id(args[0]) if args else None
    if ticket_id is None or len(args) != 2:
        raise BadInput(texts.USAGE.format(usage="/move 编号 范围代码（如 /move 12 jingfa-1）"))
    area = u.tree.by_code(args[1])
    if area is None:
        raise NotFound(texts.AREA_NOT_FOUND.format(code=args[1]))
    if area.level not in TARGET_LEVELS:
        raise BadInput(texts.MOVE_TARGET_LEVEL.format(code=area.code))
    ticket = tickets.get(u, ticket_id, lock=True)
    over_ticket = tickets.is_admin_over(u, turn.person, ticket)
    if not (over_ticket and has_role(u.session, turn.person.id, Role.ADMIN, u.tree, area.id)):
        raise NotAllowed(texts.NOT_ADMIN)
    if ticket.status not in ACTIVE:
        raise InvalidTransition(
            texts.MOVE_NOT_ACTIVE.format(id=ticket.id, status=texts.STATUS[ticket.status])
        )
    if ticket.area_id == area.id:
        turn.reply(texts.MOVE_SAME.format(id=ticket.id, area=area_label(u, area.id)))
        return
    old = move_to_area(u, ticket, area, turn.person)
    turn.reply(texts.MOVE_DONE.format(id=ticket.id, old=old, area=area_label(u, area.id)))
