"""Small pieces of the Chinese text people read: times, durations, names, areas, deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.people import grants_of
from models.property_first import is_member
from models.refdata import catalogue
from models.sla import tier_days
from models.store.unit_of_work import Unit
from models.tables import AreaLevel, Person, Role, Ticket

from . import texts
from .masking import mask_private


def fmt_time(when: datetime | None, tz: str = "Asia/Shanghai") -> str:
    """Local date and time, e.g. 11月23日 09:00."""
    if when is None:
        return texts.NONE
    local = when.astimezone(ZoneInfo(tz))
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def fmt_duration(delta: timedelta, under_a_minute: str = texts.DURATION_JUST_NOW) -> str:
    """A duration in days and hours, or hours and minutes (no zero part; 刚刚 under a minute, never 0分钟)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        if not hours:
            return texts.DURATION_DAYS_ONLY.format(days=days)
        return texts.DURATION_DAYS.format(days=days, hours=hours)
    if hours:
        if not mins:
            return texts.DURATION_HOURS_ONLY.format(hours=hours)
        return texts.DURATION_HOURS.format(hours=hours, minutes=mins)
    if not mins:
        return under_a_minute
    return texts.DURATION_MINUTES.format(minutes=mins)


def fmt_amount(delta: timedelta) -> str:
    """An amount of time, such as an average: like fmt_duration, but 不到1分钟 rather than 刚刚."""
    return fmt_duration(delta, texts.DURATION_UNDER_MINUTE)


def fmt_elapsed(delta: timedelta, phrase: str, just_now: str) -> str:
    """'已超期 2天3小时' (phrase with the duration), or just_now ('刚刚超期') under a minute."""
    if delta < timedelta(minutes=1):
        return just_now
    return phrase.format(duration=fmt_duration(delta))


def status_name(status: str, *, staff: bool) -> str:
    """The status as its reader sees it: staff wait for the resident, the resident is asked."""
    return (texts.STAFF_STATUS if staff else texts.STATUS)[status]


def category_name(session: Session, code: str) -> str:
    """Full name of a category, with its parent: 大城管 / 道路破损."""
    return catalogue(session).full_name(code)


def person_name(session: Session, person_id: int | None) -> str:
    """Display name of a person, or the 'unclaimed' word."""
    if person_id is None:
        return texts.UNCLAIMED
    person = session.get(Person, person_id)
    return person.name if person else texts.UNCLAIMED


def short_description(text: str, limit: int = 80) -> str:
    """A description cut for a group card, masked first (cards are seen by the whole group)."""
    text = mask_private(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def area_label(u: Unit, area_id: int) -> str:
    """Community and grid names, e.g. 四季社区 第一网格 (the top area's name when it is the top)."""
    chain = [a for a in u.tree.ancestors(area_id) if a.parent_id is not None]
    return " ".join(a.name for a in reversed(chain)) or u.tree.by_id[area_id].name


def deadline_words(u: Unit, ticket: Ticket, ahead: str) -> str:
    """The deadline in the words of `ahead` while it is ahead; once passed, how late and when it was."""
    if ticket.due_at is not None and ticket.due_at <= u.now:
        late = fmt_elapsed(u.now - ticket.due_at, texts.LATE, texts.LATE_JUST_NOW)
        return texts.DEADLINE_PASSED.format(late=late, due=fmt_time(ticket.due_at, u.rules.sla.timezone))
    return ahead.format(due=due_text(u, ticket))


def due_text(u: Unit, ticket: Ticket) -> str:
    """The deadline in local time; else when it will be (open ticket) or that there is none."""
    if ticket.due_at is not None:
        return fmt_time(ticket.due_at, u.rules.sla.timezone)
    days = tier_days(ticket.tier, u.rules.sla)
    return texts.DUE_NONE if days is None else texts.DUE_AFTER_CLAIM.format(days=days)


def role_key(u: Unit, person_id: int | None) -> str:
    """What a person is (texts.ROLE_OF): admin, grid worker, other staff, resident, or the system."""
    if person_id is None:
        return "system"
    grants = grants_of(u.session, person_id)
    if any(g.role == Role.ADMIN for g in grants):
        return "admin"
    if any(g.role == Role.MEDIATOR for g in grants):
        return "mediator"
    if grants and all(g.role == Role.VOLUNTEER for g in grants):
        return "party_volunteer" if any(g.party_member for g in grants) else "volunteer"
    levels = {u.tree.by_id[g.area_id].level for g in grants if g.area_id in u.tree.by_id}
    if AreaLevel.GRID in levels:
        return "worker"
    if not grants and is_member(u.session, person_id):
        return "property"
    return "staff" if grants else "resident"


def role_name(u: Unit, person_id: int | None) -> str:
    """管理员, 网格员, 工作人员, 居民 or 系统."""
    return texts.ROLE_OF[role_key(u, person_id)]


def grant_name(u: Unit, role: str, area_id: int) -> str:
    """A role as the person holding it is: 管理员; 网格员 in a grid, 工作人员 elsewhere (a department …)."""
    if role in (Role.ADMIN, Role.MEDIATOR):
        return texts.ROLE_OF[role]
    if role == Role.VOLUNTEER:
        return texts.ROLE_OF["volunteer"]
    area = u.tree.by_id.get(area_id)
    return texts.ROLE_OF["worker" if area is not None and area.level == AreaLevel.GRID else "staff"]
