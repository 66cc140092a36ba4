"""Moving a ticket (/move, 转派, and retiring areas or categories); the notices come from its event."""

from __future__ import annotations

from handlers import texts
from models import tickets
from models.errors import BadInput, InvalidTransition, NotAllowed, NotFound, Refusal
from models.people import admin_scopes, has_role
from models.store.unit_of_work import Unit
from models.tables import Area, AreaLevel, Category, Person, Role, Status, Ticket
from models.ticket_move import movable, recategorise, relocate

from .arguments import ticket_arg
from .render import area_label
from .spec import Spec, Who
from .turn import Turn

TARGET_LEVELS = (AreaLevel.GRID, AreaLevel.COMMUNITY, AreaLevel.DEPARTMENT)


def move_to_area(u: Unit, ticket: Ticket, area: Area, actor: Person | None = None) -> str:
    """Re-route a ticket (everyone concerned is told through its event); return the old area's label."""
    old_label = area_label(u, ticket.area_id)
    relocate(u, ticket, area, actor)
    return old_label


def move_to_category(u: Unit, ticket: Ticket, category: Category, actor: Person | None = None) -> None:
    """Give an open ticket another category (its own was retired); the card shows the new one."""
    recategorise(u, ticket, category, actor)


def move_by_admin(u: Unit, actor: Person, ticket_id: int, code: str) -> str:
    """转派 as an admin asks for it (chat /move and the web office): check, move, say what happened.

    Refuses (typed, in Chinese) an unknown or unsuitable area, a ticket or area outside the
    admin's scope and a ticket that is no longer active; moving to where it is changes nothing.
    """
    area = u.tree.by_code(code)
    if area is None:
        raise NotFound(Refusal.AREA_NOT_FOUND, code=code)
    if area.level not in TARGET_LEVELS:
        raise BadInput(Refusal.MOVE_TARGET_LEVEL, code=area.code)
    ticket = tickets.get(u, ticket_id, lock=True)
    over_ticket = tickets.is_admin_over(u, actor, ticket)
    if not (over_ticket and has_role(u.session, actor.id, Role.ADMIN, u.tree, area.id)):
        raise NotAllowed(Refusal.NOT_ADMIN)
    if not movable(ticket):
        raise InvalidTransition(Refusal.MOVE_NOT_ACTIVE, id=ticket.id, status=Status(ticket.status))
    if ticket.area_id == area.id:
        return texts.MOVE_SAME.format(id=ticket.id, area=area_label(u, area.id))
    old = move_to_area(u, ticket, area, actor)
    return texts.MOVE_DONE.format(id=ticket.id, old=old, area=area_label(u, area.id))


def targets(u: Unit, actor: Person) -> list[tuple[str, str]]:
    """The areas an admin may move a ticket to (code, label): grids, communities, departments."""
    scopes = admin_scopes(u.session, actor.id)  # read once, not once per area
    return [
        (a.code, area_label(u, a.id))
        for level in TARGET_LEVELS
        for a in u.tree.level(level)
        if any(u.tree.is_within(a.id, scope) for scope in scopes)
    ]


def move(turn: Turn, args: list[str]) -> None:
    """/move ID SCOPE (转派): an admin re-routes a misrouted ticket to a grid, community or department."""
    ticket_id = ticket_arg(args, MOVE.usage, 2)
    if len(args) != 2:
        raise BadInput(Refusal.USAGE, usage=MOVE.usage)
    turn.reply(move_by_admin(turn.u, turn.person, ticket_id, args[1]))


MOVE = Spec("move", move, Who.ADMIN, texts.USAGE_MOVE, ("转派",), menu=texts.MENU_MOVE, help=texts.HELP_MOVE)
SPECS = (MOVE,)
