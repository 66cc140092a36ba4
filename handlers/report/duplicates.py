"""Duplicates nearby: before confirming, offer to follow an open ticket of the same problem."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rapidfuzz import fuzz

from models import followers, tickets
from models.dialogs import set_state, update_data
from models.geo import great_circle_km
from models.messages import Button
from models.tables import ACTIVE, Ticket

from .. import notify, texts, understand
from ..payloads import DuplicateAction, WizardAction, WizardDuplicate, WizardNav
from ..render import area_label, category_name, fmt_time
from ..states import Step
from ..turn import Turn
from .submit import submit

RADIUS_M = 150.0
WINDOW = timedelta(days=14)
# rapidfuzz token-set ratio (0-100) of the jieba words that makes two descriptions "the same problem".
SIMILAR = 60.0
FOLLOW = WizardDuplicate(DuplicateAction.FOLLOW)
NEW = WizardDuplicate(DuplicateAction.NEW)


def similar(a: str, b: str) -> float:
    """How alike two descriptions are (0-100), word by word."""
    r = understand.reader()
    return float(fuzz.token_set_ratio(" ".join(r.tokens(a)), " ".join(r.tokens(b))))


def find(turn: Turn, data: dict[str, Any]) -> Ticket | None:
    """An open ticket of the same category within 150 m, or in the same grid with a similar description."""
    u = turn.u
    rows = tickets.similar_candidates(u.session, data["cat"], u.now - WINDOW, turn.person.id)
    here = (data["lat"], data["lon"]) if data.get("lat") is not None else None
    for ticket_id, lat, lon, area_id, description in rows:
        if here is not None and lat is not None and lon is not None:
            if great_circle_km(*here, [lat], [lon])[0] * 1000 <= RADIUS_M:
                return u.session.get(Ticket, ticket_id)
        elif _same_place(turn, area_id, data.get("area")) and similar(data["desc"], description) >= SIMILAR:
            return u.session.get(Ticket, ticket_id)
    return None


def _same_place(turn: Turn, ticket_area: int, area: int | None) -> bool:
    """The ticket's grid is the draft's area, or within it (a typed address gives only the community)."""
    return area is not None and (ticket_area == area or turn.u.tree.is_within(ticket_area, int(area)))


def offer(turn: Turn) -> bool:
    """At the confirm step, ask about a duplicate nearby (looked up once per draft); False if none."""
    data = dict(turn.dialog.data or {})
    if data.get("proxy") or "cat" not in data or "desc" not in data:
        return False
    if data.get("dup_checked"):
        ticket = turn.u.session.get(Ticket, int(data["dup"])) if data.get("dup") is not None else None
        if ticket is None or ticket.status not in ACTIVE:
            return False
    else:
        ticket = find(turn, data)
        update_data(turn.dialog, turn.u.now, dup_checked=True, dup=ticket.id if ticket else None)
        if ticket is None:
            return False
    _ask(turn, ticket)
    return True


def _ask(turn: Turn, ticket: Ticket, prefix: str = "") -> None:
    u = turn.u
    text = texts.DUPLICATE_OFFER.format(
        id=ticket.id,
        status=texts.DUPLICATE_STATUS.get(ticket.status, texts.STATUS[ticket.status]),
        category=category_name(u.session, ticket.category_code),
        area=area_label(u, ticket.area_id),
        created=fmt_time(ticket.created_at, u.rules.sla.timezone),
    )
    buttons = (
        Button(texts.BTN_DUPLICATE_FOLLOW.format(id=ticket.id), FOLLOW.pack()),
        Button(texts.BTN_DUPLICATE_NEW, NEW.pack()),
    )
    turn.reply(prefix + text, buttons)


def pending(turn: Turn) -> bool:
    """Take the answer to the duplicate question (button, 是 / 不是, else re-ask); False if none is owed."""
    data = dict(turn.dialog.data or {})
    dup = data.get("dup")
    if dup is None or turn.dialog.state != Step.CONFIRM:
        return False
    press = turn.button
    if press == WizardNav(WizardAction.SUBMIT):  # 确认提交 from the confirm message (before going back)
        update_data(turn.dialog, turn.u.now, dup=None)
        return False
    if turn.msg.payload is None:
        said = understand.reader().answer(turn.msg.text, "yesno") if turn.msg.text else None
        press = {"yes": FOLLOW, "no": NEW}.get(said or "")
    ticket = turn.u.session.get(Ticket, int(dup))
    if press == FOLLOW and ticket is not None and ticket.status in ACTIVE:
        follow(turn, ticket)
    elif press in (NEW, FOLLOW):  # not the same, or the other ticket was closed meanwhile
        update_data(turn.dialog, turn.u.now, dup=None)
        submit(turn)
    elif turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
    elif ticket is not None:
        _ask(turn, ticket, texts.DUPLICATE_REASK.format(id=ticket.id) + "\n")
    else:
        return False
    return True


def follow(turn: Turn, ticket: Ticket) -> None:
    """Make the resident a follower of the ticket and drop their draft."""
    u = turn.u
    if followers.add(u.session, ticket.id, turn.person.id, u.now):
        notify.refresh_card(u, ticket)
    set_state(turn.dialog, Step.IDLE, u.now, {})
    turn.reply(texts.DUPLICATE_FOLLOWING.format(id=ticket.id), keyboard="remove")
