"""金点子 screening in chat and on the web: 筛选 N 阶段 [理由] moves a proposal on; 金点子列表 lists them."""

from __future__ import annotations

from models import ideas, points
from models.errors import BadInput, NotAllowed, Refusal
from models.people import admin_scopes
from models.store.unit_of_work import Unit
from models.tables import Person, Ticket

from . import texts
from .normalise import Shape, nfkc, ticket_number
from .spec import Spec, Who
from .turn import Turn

DESCRIPTION_SHOWN = 40  # characters of a proposal on the chat list


def stage_named(word: str) -> ideas.Stage:
    """The stage an admin's word names (初筛, 入选, 落地, 未采纳, or the English value), or a refusal."""
    word = nfkc(word).strip()
    value = texts.IDEA_STAGE_WORDS.get(word, word.lower())
    try:
        stage = ideas.Stage(value)
    except ValueError:
        raise BadInput(Refusal.IDEA_STAGE_UNKNOWN, stage=word) from None
    if stage == ideas.Stage.COLLECTED:  # where every proposal starts, never a step
        raise BadInput(Refusal.IDEA_STAGE_UNKNOWN, stage=word)
    return stage


def advance(u: Unit, admin: Person, ticket_id: int, word: str, reason: str) -> str:
    """Move a proposal on (the chat command and the office's form); the admin's confirmation."""
    stage = stage_named(word)
    ideas.move(u, ticket_id, admin, stage, reason)
    paid = u.rules.points.idea if stage == ideas.Stage.ADOPTED else 0
    earned = texts.IDEA_MOVED_POINTS.format(points=paid) if paid and _paid(u, ticket_id) else ""
    return texts.IDEA_MOVED.format(id=ticket_id, stage=texts.IDEA_STAGE[stage], points=earned)


def _paid(u: Unit, ticket_id: int) -> bool:
    ticket = u.session.get(Ticket, ticket_id)
    return ticket is not None and points.earned(u.session, ticket.resident_id, ticket_id, ideas.REASON)


def screen(turn: Turn, args: list[str]) -> None:
    """筛选 N 初筛|入选|落地|未采纳 [理由]."""
    ticket_id = ticket_number(args[0]) if args else None
    if ticket_id is None or len(args) < 2:
        raise BadInput(Refusal.USAGE, usage=SCREEN.usage)
    turn.reply(advance(turn.u, turn.person, ticket_id, args[1], " ".join(args[2:])))


def listing(turn: Turn, args: list[str]) -> None:
    """金点子列表: the proposals of the admin's areas, by stage."""
    scopes = admin_scopes(turn.u.session, turn.person.id)
    if not scopes:
        raise NotAllowed(Refusal.NOT_ADMIN)
    areas = set().union(*(turn.u.tree.subtree_ids(a) for a in scopes))
    grouped = ideas.by_stage(turn.u.session, None if turn.u.tree.top().id in scopes else areas)
    if not any(grouped.values()):
        turn.reply(texts.IDEAS_EMPTY)
        return
    lines = [texts.IDEAS_HEADER]
    for stage, rows in grouped.items():
        lines.append(texts.IDEAS_STAGE_LINE.format(stage=texts.IDEA_STAGE[stage], count=len(rows)))
        lines += [
            texts.IDEAS_LINE.format(id=t.id, description=t.description[:DESCRIPTION_SHOWN]) for t in rows[:10]
        ]
    turn.reply("\n".join(lines))


def history_detail(u: Unit, note: str | None) -> str:
    """The audit trail's words for a stage change ("starred：理由")."""
    if not note:
        return ""
    value, _, reason = note.partition("：")
    stage = texts.IDEA_STAGE.get(value, value)
    return texts.IDEA_HISTORY.format(stage=stage, reason=f"，{reason}" if reason else "")


SCREEN = Spec("idea", screen, Who.ADMIN, texts.USAGE_IDEA, ("筛选",), Shape(2, True, 1), help=texts.HELP_IDEA)
IDEAS = Spec(
    "ideas",
    listing,
    Who.ADMIN,
    texts.USAGE_IDEAS,
    ("金点子列表",),
    menu=texts.MENU_IDEAS,
    help=texts.HELP_IDEAS,
)
SPECS = (SCREEN, IDEAS)
