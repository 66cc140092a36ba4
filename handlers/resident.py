"""Resident commands: menu, my tickets, status, withdraw, follow-up answers; free text read."""

from __future__ import annotations

from sqlalchemy import select

from handlers import texts
from models import tickets
from models.dialogs import update_data
from models.tables import AreaLevel, Status, Ticket

from . import consult, ticket_text, understand
from .menu import MENU
from .normalise import Shape, ticket_number
from .notify import to_person
from .render import category_name, deadline_words, fmt_time, person_name, status_name
from .report import photos, scene
from .report.draft import deeplink_hint, in_report, office_keywords
from .report.followers import affected_line, is_follower
from .spec import Spec, Who
from .turn import Turn


def greet(turn: Turn, args: list[str]) -> None:
    """Greet with the menu; a deep-link argument names the grid to pre-fill."""
    u = turn.u
    hint = ""
    if args:
        area = u.tree.by_code(args[0])
        if area is not None and area.level in (AreaLevel.GRID, AreaLevel.COMMUNITY):
            update_data(turn.dialog, u.now, deeplink=area.id)
            hint = deeplink_hint(turn, area.id) + "\n"
    if in_report(turn):
        scene.leave(turn)
    turn.reply(hint + texts.GREETING.format(subdistrict=u.rules.subdistrict_name), MENU, keyboard="remove")


def my_tickets(turn: Turn, args: list[str]) -> None:
    """List the resident's own tickets, newest first (from a group: answered privately)."""
    u = turn.u
    rows = list(
        u.session.scalars(
            select(Ticket).where(Ticket.resident_id == turn.person.id).order_by(Ticket.id.desc()).limit(20)
        )
    )
    if not rows:
        turn.reply(texts.MY_EMPTY, MENU)
        return
    lines = [texts.MY_HEADER] + [
        texts.MY_LINE.format(
            id=t.id,
            category=category_name(u.session, t.category_code),
            status=texts.STATUS[t.status],
            created=fmt_time(t.created_at, u.rules.sla.timezone),
        )
        for t in rows
    ]
    turn.reply("\n".join(lines))


def status(turn: Turn, args: list[str]) -> None:
    """Show one ticket the person may see; staff in scope get the private details privately."""
    u = turn.u
    ticket_id = ticket_number(args[0]) if args else None
    if ticket_id is None:
        turn.reply(texts.USAGE.format(usage=STATUS.usage))
        return
    ticket = u.session.get(Ticket, ticket_id)
    if ticket is None or not (tickets.visible_to(u, ticket, turn.person) or is_follower(turn, ticket.id)):
        turn.reply(texts.NOT_FOUND.format(id=ticket_id))
        return
    shown = ticket
    if ticket.status == Status.MERGED and ticket.merged_into_id is not None:
        shown = u.session.get(Ticket, ticket.merged_into_id) or ticket
    extra = ""
    if shown.handler_id is not None:
        extra += texts.STATUS_HANDLER.format(handler=person_name(u.session, shown.handler_id))
    if shown.due_at is not None and shown.status in (Status.OPEN, Status.CLAIMED):
        extra += texts.STATUS_DUE.format(due=deadline_words(u, shown, texts.DEADLINE_STATUS))
    extra += affected_line(turn, shown)  # residents following the ticket
    history = ticket_text.history_lines(u, shown)
    if history:
        extra += texts.STATUS_HISTORY.format(lines="\n".join(history))
    turn.reply(
        texts.STATUS_TEXT.format(
            id=shown.id,
            category=category_name(u.session, shown.category_code),
            status=status_name(shown.status, staff=not _own(turn, shown)),
            tier=texts.TIER[shown.tier],
            created=fmt_time(shown.created_at, u.rules.sla.timezone),
            extra=extra,
        )
    )
    if shown.resident_id != turn.person.id and (
        shown.handler_id == turn.person.id or tickets.is_admin_over(u, turn.person, shown)
    ):
        # Phone and address go to the handler and admins only, and only in private.
        if turn.private:
            to_person(u, turn.person, ticket_text.details_text(u, shown), ticket_id=shown.id)
        else:  # asked in a group: the answer goes to the private chat (or nowhere without one)
            turn.reply(ticket_text.details_text(u, shown))
    elif (
        shown.resident_id == turn.person.id
        and shown.status == Status.RESOLVED
        and shown.followup_stage
        and not tickets.rates_own_work(shown, turn.person.id)  # a 代办's filer: admins phone the resident
    ):
        turn.reply(
            texts.R_ASK_SATISFIED
            if shown.followup_stage == 2
            else texts.R_RESOLVED.format(id=shown.id, note=shown.resolution_note or ""),
            ticket_text.followup_buttons(shown),
        )


def _own(turn: Turn, ticket: Ticket) -> bool:
    """Tell whether the reader is the ticket's resident (or follows it), who reads the resident's words."""
    return ticket.resident_id == turn.person.id or is_follower(turn, ticket.id)


def withdraw(turn: Turn, args: list[str]) -> None:
    """Take back one's own ticket."""
    ticket_id = ticket_number(args[0]) if args else None
    if ticket_id is None:
        turn.reply(texts.USAGE.format(usage=WITHDRAW.usage))
        return
    tickets.withdraw(turn.u, ticket_id, turn.person)
    turn.reply(texts.WITHDRAW_CONFIRMED.format(id=ticket_id))


def unfollow(turn: Turn, args: list[str]) -> None:
    """取消关注 12: stop hearing about a ticket one followed (the duplicate offer, or a merge)."""
    ticket_id = ticket_number(args[0]) if args else None
    if ticket_id is None:
        turn.reply(texts.USAGE.format(usage=UNFOLLOW.usage))
        return
    tickets.unfollow(turn.u, ticket_id, turn.person, turn.person)
    turn.reply(texts.UNFOLLOWED.format(id=ticket_id))


def followup(turn: Turn, stage: int, ticket_id: int, yes: bool) -> None:
    """Take a 是/否 or 满意/不满意 button press."""
    tickets.answer_followup(turn.u, ticket_id, turn.person, stage, yes)


def read(turn: Turn) -> None:
    """Answer free text in private by what it means; the menu only when it means nothing we know."""
    text = turn.msg.text
    if turn.msg.photo:  # a photo first: kept for the report the words will start
        photos.first(turn, ask=not text)
        if not text:
            return
    if consult.take(turn, text):  # a question about a service: the FAQ's answer, or a 咨询
        return
    office = office_keywords(turn)
    understood = understand.reader().intent(text, office) if text else understand.Understood("unknown")
    if understood.intent == "report":
        scene.report(turn, [])
    elif understood.intent == "my":
        my_tickets(turn, [])
    elif understood.intent == "thanks":
        turn.reply(texts.WELCOME_THANKS, MENU)
    elif understood.intent == "problem" and _fits(turn, text):
        scene.describe(turn, text, understood.categories)
    elif understood.intent == "unknown" and text:
        turn.reply(texts.UNDERSTOOD_NOTHING.format(text=text[:20]), MENU, keyboard="remove")
    else:
        greet(turn, [])


def _fits(turn: Turn, text: str) -> bool:
    limits = turn.u.rules.limits
    return limits.description_min <= len(text) <= limits.description_max


START = Spec(
    "start", greet, Who.RESIDENT, texts.USAGE_START, ("菜单",), menu=texts.MENU_START, help=texts.HELP_START
)
MY = Spec(
    "my",
    my_tickets,
    Who.RESIDENT,
    texts.USAGE_MY,
    ("我的工单",),
    menu=texts.MENU_MY,
    personal=True,
    help=texts.HELP_MY,
)
STATUS = Spec(
    "status",
    status,
    Who.RESIDENT,
    texts.USAGE_STATUS,
    ("查询",),
    Shape(1, tickets=1),
    menu=texts.MENU_STATUS,
    personal=True,
    help=texts.HELP_STATUS,
)
WITHDRAW = Spec(
    "withdraw",
    withdraw,
    Who.RESIDENT,
    texts.USAGE_WITHDRAW,
    ("撤回",),
    Shape(1, tickets=1),
    menu=texts.MENU_WITHDRAW,
    personal=True,
    help=texts.HELP_WITHDRAW,
)
UNFOLLOW = Spec(
    "unfollow",
    unfollow,
    Who.RESIDENT,
    texts.USAGE_UNFOLLOW,
    ("取消关注",),
    personal=True,
    help=texts.HELP_UNFOLLOW,
)
