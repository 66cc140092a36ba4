"""What each party of the four-level ladder (督办) is told when a ticket is late or reopened."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.escalation import admins_at, level_area
from models.messages import Button
from models.sla import MAX_LEVEL, next_window_step
from models.store.unit_of_work import Unit
from models.tables import ChatBinding, Ticket
from models.territory import bound_chats, chats_up_from

from .. import texts
from ..render import (
    area_label,
    category_name,
    fmt_duration,
    fmt_elapsed,
    fmt_time,
    person_name,
    short_description,
)
from .deliver import grab_button, post_to_team, to_group, to_handler, to_person, to_resident


def level_label(u: Unit, ticket: Ticket, level: int) -> str:
    """社区（四季社区）, 街道科室（城市管理办公室）, 街道领导 …"""
    level = max(0, min(level, MAX_LEVEL))
    if level in (0, MAX_LEVEL):
        return texts.LEVEL[level]
    return texts.SLA_LEVEL_AREA.format(level=texts.LEVEL[level], area=level_area(u, ticket, level).name)


def notify_level(
    u: Unit, ticket: Ticket, level: int, text: str, buttons: tuple[Button, ...] = ()
) -> list[ChatBinding]:
    """Tell a level: its bound group chats, or its admins privately when it has none."""
    area = level_area(u, ticket, level)
    chats = bound_chats(u.session, area.id)
    for chat in chats:
        to_group(u, chat.channel, chat.chat_id, text, buttons, ticket_id=ticket.id)
    if not chats:
        for admin in admins_at(u, area.id):
            to_person(u, admin, text, buttons=buttons, ticket_id=ticket.id)
    return chats


def _notice(u: Unit, ticket: Ticket, level: int, reason: str, due: datetime | None) -> str:
    text = texts.SLA_ESCALATED.format(
        level=level_label(u, ticket, level),
        id=ticket.id,
        category=category_name(u.session, ticket.category_code),
        description=short_description(ticket.description),
        area=area_label(u, ticket.area_id),
        age=fmt_elapsed(u.now - ticket.created_at, texts.AGE, texts.AGE_JUST_NOW),
        handler=person_name(u.session, ticket.handler_id),
        reason=reason,
    )
    if due is not None:
        text += texts.SLA_ESCALATED_DUE.format(due=fmt_time(due, u.rules.sla.timezone))
    return text


def _repost_card(u: Unit, ticket: Ticket, skip: list[ChatBinding]) -> None:
    """Show the unclaimed card again, with its grab button, where it was first posted."""
    taken = {(c.channel, c.chat_id) for c in skip}
    text = texts.CARD_REPOST.format(
        id=ticket.id,
        category=category_name(u.session, ticket.category_code),
        description=short_description(ticket.description),
        area=area_label(u, ticket.area_id),
        age=fmt_duration(read_at(u) - ticket.created_at),
    )
    if post_to_team(u, ticket, text):  # a dispute: its team (the centre's, once it climbs)
        return
    for chat in chats_up_from(u.session, u.tree, ticket.area_id):
        if (chat.channel, chat.chat_id) not in taken:
            to_group(u, chat.channel, chat.chat_id, text, grab_button(ticket), ticket_id=ticket.id)


def announce_unclaimed(u: Unit, ticket: Ticket) -> None:
    """Nobody grabbed the ticket in time: its new level hears of it, the grid sees the card again."""
    waited = fmt_duration(read_at(u) - ticket.created_at)
    reason = texts.SLA_REASON_UNCLAIMED.format(waited=waited)
    notice = _notice(u, ticket, ticket.level, reason, None)
    chats = notify_level(u, ticket, ticket.level, notice, grab_button(ticket))
    _repost_card(u, ticket, chats)
    to_resident(
        u,
        ticket,
        texts.R_UNCLAIMED_ESCALATED.format(id=ticket.id, level=level_label(u, ticket, ticket.level)),
    )


def announce_still_unclaimed(u: Unit, ticket: Ticket) -> None:
    """The daily reminder of an unclaimed ticket at the top of the ladder."""
    text = texts.SLA_STILL_UNCLAIMED.format(
        level=level_label(u, ticket, ticket.level),
        id=ticket.id,
        category=category_name(u.session, ticket.category_code),
        age=fmt_duration(read_at(u) - ticket.created_at),
        area=area_label(u, ticket.area_id),
    )
    chats = notify_level(u, ticket, ticket.level, text, grab_button(ticket))
    _repost_card(u, ticket, chats)


# A held reminder is dropped when the window's next step comes this soon after it is read.
SUPERSEDED_WITHIN = timedelta(hours=1)


def read_at(u: Unit) -> datetime:
    """When a notice written now will be read: the end of its hold over quiet hours, or now."""
    return u.hold if u.hold is not None and u.hold > u.now else u.now


def remind_handler(u: Unit, ticket: Ticket, fraction: float) -> None:
    """Tell the handler how much of the window is gone, worded for when he will read it.

    A reminder held over the night that a later step (the next reminder, the deadline) follows
    within an hour of its reading says nothing: the later one speaks for both."""
    assert ticket.due_at is not None
    when = read_at(u)
    step = next_window_step(ticket, u.rules.sla)
    if when > u.now and step is not None and step <= when + SUPERSEDED_WITHIN:
        return
    start = ticket.window_started_at or ticket.due_at
    window = (ticket.due_at - start).total_seconds()
    gone = (when - start).total_seconds() / window if window > 0 else fraction
    to_handler(
        u,
        ticket,
        texts.SLA_REMINDER.format(
            id=ticket.id,
            category=category_name(u.session, ticket.category_code),
            percent=round(max(fraction, min(gone, 1.0)) * 100),
            due=fmt_time(ticket.due_at, u.rules.sla.timezone),
            left=fmt_duration(ticket.due_at - when),
        ),
    )


def _penalty(points: int) -> str:
    return texts.SLA_PENALTY.format(points=points) if points else ""


def announce_overdue(u: Unit, ticket: Ticket, missed: datetime, points: int) -> None:
    """A deadline passed and the ticket moved one level up: that level, the handler, the resident."""
    level = level_label(u, ticket, ticket.level)
    tz = u.rules.sla.timezone
    reason = texts.SLA_REASON_OVERDUE.format(deadline=fmt_time(missed, tz))
    notify_level(u, ticket, ticket.level, _notice(u, ticket, ticket.level, reason, ticket.due_at))
    due = fmt_time(ticket.due_at, tz)
    to_handler(
        u, ticket, texts.W_OVERDUE.format(id=ticket.id, level=level, penalty=_penalty(points), due=due)
    )
    to_resident(u, ticket, texts.R_ESCALATED.format(id=ticket.id, level=level, due=due))


def announce_overdue_top(u: Unit, ticket: Ticket, missed: datetime, points: int) -> None:
    """The deadline of the last level passed: the leadership and the handler hear it."""
    level = level_label(u, ticket, ticket.level)
    announce_still_overdue(u, ticket, missed, handler_text=False)
    to_handler(u, ticket, texts.W_OVERDUE_TOP.format(id=ticket.id, level=level, penalty=_penalty(points)))


def announce_still_overdue(u: Unit, ticket: Ticket, missed: datetime, *, handler_text: bool = True) -> None:
    """The daily reminder of a late ticket at the top of the ladder."""
    late = fmt_elapsed(u.now - missed, texts.LATE, texts.LATE_JUST_NOW)
    text = texts.SLA_STILL_OVERDUE.format(
        level=level_label(u, ticket, ticket.level),
        id=ticket.id,
        category=category_name(u.session, ticket.category_code),
        late=late,
        area=area_label(u, ticket.area_id),
        handler=person_name(u.session, ticket.handler_id),
    )
    notify_level(u, ticket, ticket.level, text)
    if handler_text:
        to_handler(u, ticket, texts.W_STILL_OVERDUE.format(id=ticket.id, late=late))


def announce_reopened(u: Unit, ticket: Ticket) -> None:
    """The resident said 否: the level the ticket moved to is told, with the new deadline."""
    reason = texts.SLA_REASON_REOPENED.format(count=ticket.reopen_count)
    notify_level(u, ticket, ticket.level, _notice(u, ticket, ticket.level, reason, ticket.due_at))
