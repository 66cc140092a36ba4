"""Grid worker commands: grab, meet, progress, tier, plan, resolve, queue, points, ranking."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers import texts
from models import points, tickets
from models.dialogs import set_state
from models.errors import BadInput, NotAllowed, NotFound, Refusal
from models.people import find_person, is_staff
from models.property_first import is_member
from models.tables import Person, Status, Ticket
from models.territory import binding_of

from . import audit, vocabulary
from .arguments import ticket_arg
from .dates import parse_day
from .normalise import Shape, nfkc
from .render import category_name, deadline_words, due_text, status_name
from .report import scene
from .spec import Spec, Who
from .states import Step
from .turn import Turn


def _require_staff(turn: Turn) -> None:
    """Office staff, or a property company's staff (who act on their company's tickets only)."""
    if not is_staff(turn.u.session, turn.person.id) and not is_member(turn.u.session, turn.person.id):
        raise NotAllowed(Refusal.NOT_STAFF)


def grab_by_id(turn: Turn, ticket_id: int) -> None:
    """Grab a ticket (button or command); the loser hears who was faster."""
    _require_staff(turn)
    ticket = tickets.grab(turn.u, ticket_id, turn.person)
    text = texts.GRAB_WON.format(id=ticket.id)
    if turn.msg.payload is not None:
        turn.result.alert = text
    elif not turn.private:
        turn.reply(text)


def grab(turn: Turn, args: list[str]) -> None:
    """抢单 ID."""
    _require_staff(turn)
    grab_by_id(turn, ticket_arg(args, GRAB.usage))


def meet(turn: Turn, args: list[str]) -> None:
    """见面 ID: record an on-site meeting with the resident."""
    _require_staff(turn)
    ticket = tickets.meet(turn.u, ticket_arg(args, MEET.usage), turn.person)
    turn.reply(texts.MEET_DONE.format(id=ticket.id))


def note(turn: Turn, args: list[str]) -> None:
    """进展 ID 内容: record progress."""
    _require_staff(turn)
    ticket_id = ticket_arg(args, NOTE.usage, 2)
    tickets.add_note(turn.u, ticket_id, turn.person, " ".join(args[1:]))
    turn.reply(texts.NOTE_DONE.format(id=ticket_id))


def tier(turn: Turn, args: list[str]) -> None:
    """定级 ID 简单|复杂|暂难解决 理由: change the 135 tier."""
    _require_staff(turn)
    usage = TIER.usage
    ticket_id = ticket_arg(args, usage, 3)
    new_tier = vocabulary.TIER.get(nfkc(args[1]).lower())
    if new_tier is None:
        raise BadInput(Refusal.USAGE, usage=usage)
    ticket = tickets.change_tier(turn.u, ticket_id, turn.person, new_tier, " ".join(args[2:]))
    deadline = deadline_words(turn.u, ticket, texts.DEADLINE_NEW)
    turn.reply(texts.TIER_DONE.format(id=ticket.id, tier=texts.TIER[ticket.tier], deadline=deadline))


def plan(turn: Turn, args: list[str]) -> None:
    """方案 ID 日期 内容: the initial plan of a pending ticket; the day as 2026-12-20, 12月20日, 下周一…"""
    _require_staff(turn)
    ticket_id = ticket_arg(args, PLAN.usage, 3)
    today = turn.u.now.astimezone(ZoneInfo(turn.u.rules.sla.timezone)).date()
    when = parse_day(args[1], today)
    if when is None:
        raise BadInput(Refusal.DATE_INVALID, example=today.isoformat())
    ticket = tickets.set_plan(turn.u, ticket_id, turn.person, when, " ".join(args[2:]))
    turn.reply(texts.PLAN_DONE.format(id=ticket.id, due=due_text(turn.u, ticket)))


# The worker an admin credits with the points of a ticket resolved on his behalf, at the end:
# `--credit w1`, `--credit=w1`, `记分给 w1`, `积分给w1`.
_CREDIT = re.compile(
    r"(?:^|\s|[,，;；。])(?:[-—–]{1,2}credit(?:\s*=\s*|\s+)|(?:记分|积分|计分)(?:给|归)\s*)(\S+)\s*$"
)


def _credit(turn: Turn, tail: str) -> tuple[str, Person | None]:
    """Split the credited worker off the end of a note; refuse a name nobody has."""
    found = _CREDIT.search(tail)
    if found is None:
        return tail, None
    ref = found.group(1).rstrip("。.")
    person = find_person(turn.u.session, ref, turn.msg.channel)
    if person is None:
        raise NotFound(Refusal.USER_NOT_FOUND, user=ref)
    return tail[: found.start()].strip(" ,，;；。"), person


def _resolve(turn: Turn, args: list[str], usage: str, default_note: str | None) -> None:
    """The one resolve: the handler's own, or an admin's on his behalf with an optional credit."""
    _require_staff(turn)
    ticket_id = ticket_arg(args, usage, 1 if default_note is not None else 2)
    note, credit = _credit(turn, " ".join(args[1:]))
    if not note.strip() and default_note is not None:
        note = default_note
    ticket = tickets.resolve(turn.u, ticket_id, turn.person, note, credit)
    set_state(turn.dialog, Step.AWAIT_RESULT_PHOTO, turn.u.now, {"ticket": ticket_id})
    done = texts.RESOLVE_DONE_VISITED if tickets.needs_phone_followup(ticket) else texts.RESOLVE_DONE
    turn.reply(done.format(id=ticket_id))
    if ticket.resolved_by_id != ticket.handler_id:
        said = texts.ON_BEHALF_CREDIT.format(user=credit.name) if credit else texts.ON_BEHALF_NO_CREDIT
        turn.reply(texts.ON_BEHALF_DONE.format(id=ticket_id, credit=said))


def resolve(turn: Turn, args: list[str]) -> None:
    """办结 ID 说明 [记分给 USER]: report done; a photo sent next is attached as the result."""
    _resolve(turn, args, RESOLVE.usage, None)


def close(turn: Turn, args: list[str]) -> None:
    """/close ID [说明] [--credit USER]: 办结, the note optional (an admin closing on a worker's behalf)."""
    _resolve(turn, args, CLOSE.usage, texts.ON_BEHALF_NOTE)


def result_photo(turn: Turn) -> bool:
    """Attach a photo sent right after 办结; return False when the message is something else."""
    ticket_id = int(turn.dialog.data.get("ticket", 0))
    set_state(turn.dialog, Step.IDLE, turn.u.now, {})
    if not turn.msg.photo:
        return False
    tickets.attach_resolution_photo(turn.u, ticket_id, turn.person, turn.msg.photo)
    turn.reply(texts.RESOLVE_PHOTO_SAVED.format(id=ticket_id))
    return True


def mine(turn: Turn, args: list[str]) -> None:
    """我的任务: the worker's open queue."""
    _require_staff(turn)
    u = turn.u
    rows = list(
        u.session.scalars(
            select(Ticket)
            .where(Ticket.handler_id == turn.person.id, Ticket.status.in_((Status.CLAIMED, Status.RESOLVED)))
            .order_by(Ticket.due_at.is_(None), Ticket.due_at, Ticket.id)
            .limit(30)
        )
    )
    if not rows:
        turn.reply(texts.MINE_EMPTY)
        return
    turn.reply(
        "\n".join(
            [texts.MINE_HEADER]
            + [
                texts.MINE_LINE.format(
                    id=t.id,
                    category=category_name(u.session, t.category_code),
                    status=status_name(t.status, staff=True),
                    due=due_text(u, t),
                )
                for t in rows
            ]
        )
    )


def my_points(turn: Turn, args: list[str]) -> None:
    """我的积分: totals from the ledger; 我的积分 明细 [页]: its rows."""
    if args and nfkc(args[0]).lower() in ("明细", "detail"):
        audit.ledger(turn, args[1:])
        return
    u, pid = turn.u, turn.person.id
    turn.reply(
        texts.POINTS.format(
            total=points.total(u.session, pid),
            week=points.total(u.session, pid, u.now - timedelta(days=7)),
            month=points.total(u.session, pid, u.now - timedelta(days=30)),
        )
    )


def rank(turn: Turn, args: list[str]) -> None:
    """排行 [week|month]: the ranking of the group's area (or everyone, in private)."""
    u = turn.u
    period = args[0].lower() if args else "week"
    period = {"周": "week", "本周": "week", "月": "month", "本月": "month", "全部": "all"}.get(period, period)
    if period not in texts.PERIOD:
        raise BadInput(Refusal.USAGE, usage=RANK.usage)
    since = {"week": u.now - timedelta(days=7), "month": u.now - timedelta(days=30), "all": None}[period]
    area_ids = None
    if not turn.private:
        binding = binding_of(u.session, turn.msg.channel, turn.msg.chat_id)
        if binding is not None:
            area_ids = u.tree.subtree_ids(binding.area_id)
    # 双向积分+: the office's staff and, apart, volunteers and residents.
    rows = points.ranking(u.session, since, area_ids, staff=True)
    public = points.ranking(u.session, since, area_ids, staff=False)
    if not rows and not public:
        turn.reply(texts.RANK_EMPTY)
        return
    lines = [texts.RANK_HEADER.format(period=texts.PERIOD[period])]
    for who, ranked in ((texts.RANK_STAFF, rows), (texts.RANK_PUBLIC, public)):
        if public and ranked:
            lines.append(texts.RANK_SECTION.format(who=who))
        for pos, (pid, pts) in enumerate(ranked, 1):
            person = u.session.get(Person, pid)
            lines.append(texts.RANK_LINE.format(pos=pos, name=person.name if person else pid, points=pts))
    turn.reply("\n".join(lines))


def proxy(turn: Turn, args: list[str]) -> None:
    """/proxy: file a ticket on a resident's behalf (代办), in private."""
    _require_staff(turn)
    if not turn.private:
        turn.reply(texts.PRIVATE_ONLY)
        return
    scene.start(turn, proxy=True)


def cancel_result_photo(turn: Turn) -> None:
    """/cancel while a result photo is awaited: the ticket stays resolved without one."""
    set_state(turn.dialog, Step.IDLE, turn.u.now, {})
    turn.reply(texts.RESULT_PHOTO_CANCELLED)


CANCELS: dict[str, Callable[[Turn], None]] = {Step.AWAIT_RESULT_PHOTO: cancel_result_photo}
GRAB = Spec(
    "grab",
    grab,
    Who.WORKER,
    texts.USAGE_GRAB,
    ("抢单",),
    Shape(1, tickets=1),
    menu=texts.MENU_GRAB,
    help=texts.HELP_GRAB,
)
MEET = Spec("meet", meet, Who.WORKER, texts.USAGE_MEET, ("见面",), Shape(1, tickets=1), help=texts.HELP_MEET)
NOTE = Spec("note", note, Who.WORKER, texts.USAGE_NOTE, ("进展",), Shape(1, True, 1), help=texts.HELP_NOTE)
TIER = Spec("tier", tier, Who.WORKER, texts.USAGE_TIER, ("定级",), Shape(2, True, 1), help=texts.HELP_TIER)
PLAN = Spec("plan", plan, Who.WORKER, texts.USAGE_PLAN, ("方案",), Shape(2, True, 1), help=texts.HELP_PLAN)
RESOLVE = Spec(
    "resolve", resolve, Who.WORKER, texts.USAGE_RESOLVE, ("办结",), Shape(1, True, 1), help=texts.HELP_RESOLVE
)
CLOSE = Spec("close", close, Who.ADMIN, texts.CLOSE_USAGE, menu=texts.MENU_CLOSE, help=texts.HELP_CLOSE)
MINE = Spec(
    "mine", mine, Who.WORKER, texts.USAGE_MINE, ("我的任务",), menu=texts.MENU_MINE, help=texts.HELP_MINE
)
POINTS = Spec(
    "points",
    my_points,
    Who.WORKER,
    texts.USAGE_POINTS,
    ("我的积分", "积分"),
    menu=texts.MENU_POINTS,
    personal=True,
    help=texts.HELP_POINTS,
)
RANK = Spec("rank", rank, Who.WORKER, texts.USAGE_RANK, ("排行",), menu=texts.MENU_RANK, help=texts.HELP_RANK)
PROXY = Spec("proxy", proxy, Who.WORKER, texts.USAGE_PROXY, ("代办",), help=texts.HELP_PROXY)
SPECS = (GRAB, MEET, NOTE, TIER, PLAN, RESOLVE, MINE, POINTS, RANK, PROXY)  # CLOSE: an admin's
