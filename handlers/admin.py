"""Admin commands: assign, reject, merge, roles, group binding, overdue list, statistics."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers import texts
from models import hotline_kpi, tickets
from models.errors import BadInput, NotAllowed, NotFound, Refusal
from models.messages import Reply
from models.outbox import after_commit
from models.people import admin_scopes, find_person, grant, grants_of, is_staff, revoke
from models.reports import enterprise as enterprise_figures
from models.reports import on_time as performance
from models.reports import stats as stats_mod
from models.tables import Area, ChatBinding, Person, Role
from models.territory import binding_of

from .arguments import ticket_arg
from .normalise import Shape, ticket_number
from .render import area_label, category_name, fmt_amount, grant_name
from .report.followers import stats_lines
from .reports import chart
from .reports import property as property_report
from .reports.digest import overdue_lines
from .spec import Spec, Who
from .turn import Turn

log = logging.getLogger(__name__)

# Channels without group chats (WeChat official accounts): staff bind their own private chat.
PRIVATE_BIND_CHANNELS = frozenset({"wechat"})


def _scopes(turn: Turn) -> list[int]:
    """The admin's scopes; refuses everyone else without revealing anything."""
    scopes = admin_scopes(turn.u.session, turn.person.id)
    if not scopes:
        raise NotAllowed(Refusal.NOT_ADMIN)
    return scopes


def _area_ids(turn: Turn) -> set[int] | None:
    """Every area under the admin's scopes (None: the whole subdistrict)."""
    scopes = _scopes(turn)
    top = turn.u.tree.top()
    if top.id in scopes:
        return None
    ids: set[int] = set()
    for scope in scopes:
        ids |= turn.u.tree.subtree_ids(scope)
    return ids


def _person(turn: Turn, ref: str) -> Person:
    person = find_person(turn.u.session, ref, turn.msg.channel)
    if person is None:
        raise NotFound(Refusal.USER_NOT_FOUND, user=ref)
    return person


def _area(turn: Turn, code: str) -> Area:
    area = turn.u.tree.by_code(code)
    if area is None:
        raise NotFound(Refusal.AREA_NOT_FOUND, code=code)
    return area


def _require_over(turn: Turn, area: Area) -> None:
    if not any(turn.u.tree.is_within(area.id, s) for s in _scopes(turn)):
        names = "、".join(turn.u.tree.by_id[s].name for s in _scopes(turn))
        raise NotAllowed(Refusal.GRANT_OUTSIDE, area=names)


def assign(turn: Turn, args: list[str]) -> None:
    """/assign ID USER."""
    _scopes(turn)
    ticket_id = ticket_arg(args, ASSIGN.usage, 2)
    worker = _person(turn, args[1])
    tickets.assign(turn.u, ticket_id, turn.person, worker)
    turn.reply(texts.ASSIGN_DONE.format(id=ticket_id, handler=worker.name))


def reject(turn: Turn, args: list[str]) -> None:
    """/reject ID REASON."""
    _scopes(turn)
    ticket_id = ticket_arg(args, REJECT.usage, 2)
    tickets.reject(turn.u, ticket_id, turn.person, " ".join(args[1:]))
    turn.reply(texts.REJECT_DONE.format(id=ticket_id))


def merge(turn: Turn, args: list[str]) -> None:
    """/merge ID INTO."""
    _scopes(turn)
    usage = MERGE.usage
    ticket_id = ticket_arg(args, usage, 2)
    into = ticket_number(args[1])
    if into is None:
        raise BadInput(Refusal.USAGE, usage=usage)
    tickets.merge(turn.u, ticket_id, into, turn.person)
    turn.reply(texts.MERGE_DONE.format(id=ticket_id, into=into))


def _role(word: str) -> Role:
    try:
        return Role(word.lower())
    except ValueError:
        words = {
            "网格员": Role.WORKER,
            "管理员": Role.ADMIN,
            "志愿者": Role.VOLUNTEER,
            "调解员": Role.MEDIATOR,
        }
        mapped = words.get(word)
        if mapped is None:
            raise BadInput(Refusal.ROLE_INVALID) from None
        return mapped


def grant_role(turn: Turn, args: list[str]) -> None:
    """/grant USER worker|admin SCOPE."""
    _scopes(turn)
    if len(args) != 3:
        raise BadInput(Refusal.USAGE, usage=GRANT.usage)
    role = _role(args[1])
    area = _area(turn, args[2])
    _require_over(turn, area)
    person = _person(turn, args[0])
    name = grant_name(turn.u, role, area.id)
    if grant(turn.u.session, person, role, area.id, turn.person, turn.u.now):
        turn.reply(texts.GRANT_DONE.format(user=person.name, role=name, area=area_label(turn.u, area.id)))
    else:
        turn.reply(texts.GRANT_EXISTS.format(user=person.name, role=name, area=area_label(turn.u, area.id)))


def revoke_role(turn: Turn, args: list[str]) -> None:
    """/revoke USER ROLE [SCOPE]."""
    _scopes(turn)
    if len(args) not in (2, 3):
        raise BadInput(Refusal.USAGE, usage=REVOKE.usage)
    role = _role(args[1])
    area = _area(turn, args[2]) if len(args) == 3 else None
    if area is not None:
        _require_over(turn, area)
    elif turn.u.tree.top().id not in _scopes(turn):
        raise BadInput(Refusal.USAGE, usage=texts.USAGE_REVOKE_SCOPE)
    person = _person(turn, args[0])
    count = revoke(turn.u.session, person, role, area.id if area else None, turn.person, turn.u.now)
    name = texts.ROLE_NAME[role]
    if count:
        turn.reply(texts.REVOKE_DONE.format(user=person.name, role=name, count=count))
        moved = tickets.release_unhandleable(turn.u, person, turn.person)
        if moved:
            turn.reply(texts.REVOKE_MOVED.format(ids="、".join(f"#{i}" for i in moved)))
    else:
        turn.reply(texts.REVOKE_NONE.format(user=person.name, role=name))


def _require_role_over(turn: Turn, area: Area) -> None:
    """Staff may subscribe their own chat only to an area inside one of their roles."""
    if not any(turn.u.tree.is_within(area.id, g.area_id) for g in grants_of(turn.u.session, turn.person.id)):
        raise NotAllowed(Refusal.WX_BIND_OUTSIDE, area=area_label(turn.u, area.id))


def bind(turn: Turn, args: list[str]) -> None:
    """/bind SCOPE, sent in a group: that area's cards and alerts go to this group.

    On a channel without group chats a worker or admin sends it in their private chat instead,
    and the cards of that area come to them there.
    """
    own_chat = turn.private and turn.msg.channel in PRIVATE_BIND_CHANNELS
    if own_chat:
        if not is_staff(turn.u.session, turn.person.id):
            # The user id is what an admin needs for /grant; WeChat shows it nowhere else.
            raise NotAllowed(Refusal.WX_BIND_NOT_STAFF, id=turn.person.external_id)
    else:
        _scopes(turn)
        if turn.private:
            turn.reply(texts.GROUP_ONLY)
            return
    if len(args) != 1:
        raise BadInput(Refusal.USAGE, usage=BIND.usage)
    area = _area(turn, args[0])
    if own_chat:
        _require_role_over(turn, area)
    else:
        _require_over(turn, area)
    u = turn.u
    existing = binding_of(u.session, turn.msg.channel, turn.msg.chat_id)
    label = area_label(u, area.id)
    if existing is not None and existing.area_id != area.id:
        old = area_label(u, existing.area_id)
        existing.area_id = area.id
        moved = texts.WX_BIND_MOVED if own_chat else texts.BIND_MOVED
        turn.reply(moved.format(old=old, area=label, code=area.code))
        return
    if existing is None:
        u.session.add(
            ChatBinding(channel=turn.msg.channel, chat_id=turn.msg.chat_id, area_id=area.id, created_at=u.now)
        )
    turn.reply((texts.WX_BIND_DONE if own_chat else texts.BIND_DONE).format(area=label, code=area.code))


def areas(turn: Turn, args: list[str]) -> None:
    """/areas: the codes to use in /grant and /bind."""
    _scopes(turn)
    tree = turn.u.tree
    lines = [texts.AREAS_HEADER]

    def walk(area: Area, depth: int) -> None:
        lines.append(texts.AREAS_LINE.format(indent="  " * depth, code=area.code, name=area.name))
        for child in tree.children(area.id):
            walk(child, depth + 1)

    walk(tree.top(), 0)
    turn.reply("\n".join(lines))


def overdue(turn: Turn, args: list[str]) -> None:
    """/overdue: claimed tickets past their deadline and open ones past the claim window."""
    area_ids = _area_ids(turn)
    lines = overdue_lines(turn.u, area_ids, limit=50)
    if not lines:
        turn.reply(texts.OVERDUE_EMPTY)
        return
    turn.reply("\n".join([texts.OVERDUE_HEADER.format(count=len(lines)), *lines]))


def _pct(rate: float | None) -> str:
    return texts.STATS_NA if rate is None else f"{rate * 100:.1f}%"


def stats(turn: Turn, args: list[str]) -> None:
    """/stats [week|month]: counts, the 三率, on-time rate per tier, slowest grids, and a chart."""
    area_ids = _area_ids(turn)
    u = turn.u
    period = args[0].lower() if args else "all"
    if period not in texts.PERIOD:
        raise BadInput(Refusal.USAGE, usage=STATS.usage)
    since = {"week": u.now - timedelta(days=7), "month": u.now - timedelta(days=30), "all": None}[period]
    s = stats_mod.compute(u.session, area_ids, since)
    on_time = performance.on_time_by_tier(u.session, area_ids, since)
    grids = performance.slowest_grids(u.session, area_ids, since)
    # In the order of the ticket's life, the same on every database.
    by_status = "，".join(
        f"{name} {s.by_status[k]}" for k, name in texts.CARD_STATUS.items() if k in s.by_status
    )
    by_status = by_status or "0"
    by_category = "，".join(f"{category_name(u.session, k)} {v}" for k, v in s.by_category.items()) or "0"
    rates = "，".join(
        texts.STATS_ON_TIME_ITEM.format(
            tier=texts.TIER_SHORT[t.tier], rate=_pct(t.rate), on_time=t.on_time, decided=t.decided
        )
        for t in on_time
    )
    slow = "，".join(
        texts.STATS_SLOW_GRID_ITEM.format(
            area=area_label(u, g.area_id), avg=fmt_amount(g.avg), count=g.resolved
        )
        for g in grids
    )
    lines = [
        texts.STATS.format(
            period=texts.PERIOD[period],
            total=s.total,
            by_status=by_status,
            by_category=by_category,
            response=_pct(s.response_rate),
            resolution=_pct(s.resolution_rate),
            satisfaction=_pct(s.satisfaction_rate),
        ),
        texts.STATS_ON_TIME.format(rates=rates),
        texts.STATS_SLOW_GRIDS.format(grids=slow or texts.STATS_NONE),
    ]
    lines += stats_lines(turn, area_ids, since)  # residents following tickets
    lines += _city_line(turn, area_ids, since)
    companies = enterprise_figures.count(turn.u.session, area_ids, since)
    if companies:  # 问政北苑's 企业诉求
        lines.append(texts.STATS_ENTERPRISE.format(count=companies))
    lines += property_report.stats_lines(u, area_ids, since)  # 有事您找我: the property companies
    if s.phone_followups:
        lines.insert(1, texts.STATS_PHONE_FOLLOWUPS.format(count=s.phone_followups))
    turn.reply("\n".join(lines))
    _chart(turn, period, s, on_time, grids)


def _city_line(turn: Turn, area_ids: set[int] | None, since: datetime | None) -> list[str]:
    """The city's 三率 of the 12345 orders dispatched in the period, as the city scores the office."""
    r = hotline_kpi.in_scope(turn.u, since, area_ids)
    if not r.dispatched:
        return []
    return [
        texts.STATS_CITY.format(
            count=r.dispatched,
            visited=r.visited,
            response=_pct(r.response_rate),
            resolution=_pct(r.resolution_rate),
            satisfaction=_pct(r.satisfaction_rate),
        )
    ]


def _chart(
    turn: Turn,
    period: str,
    s: stats_mod.Stats,
    on_time: list[performance.TierOnTime],
    grids: list[performance.GridSpeed],
) -> None:
    """Gather the chart's data now; draw and send it after the commit (drawing takes a while).

    A chart that cannot be written leaves the text answer alone.
    """
    u = turn.u
    today = u.now.astimezone(ZoneInfo(u.rules.sla.timezone)).date()
    first = today - timedelta(days=6 if period == "week" else 29)
    series = performance.daily(u.session, _area_ids(turn), first, today, u.rules.sla.timezone)
    title = texts.CHART_TITLE.format(subdistrict=u.rules.subdistrict_name, period=texts.PERIOD[period])
    data = chart.chart_data(u, title, s, on_time, grids, series)
    directory, stem = Path(u.rules.chart_dir), f"stats-{period}-{u.now:%Y%m%d%H%M%S}"
    caption = texts.CHART_CAPTION.format(period=texts.PERIOD[period])
    channel, chat_id = turn.msg.channel, turn.msg.chat_id

    def draw() -> Reply | None:
        try:
            path = chart.write_png(data, directory, stem)
        except OSError:
            log.exception("cannot write the /stats chart under %s", directory)
            return None
        return Reply(channel, chat_id, caption, photo=str(path))

    after_commit(u.session, draw)


ASSIGN = Spec(
    "assign",
    assign,
    Who.ADMIN,
    texts.USAGE_ASSIGN,
    ("交办",),
    Shape(2, tickets=1),
    menu=texts.MENU_ASSIGN,
    help=texts.HELP_ASSIGN,
)
REJECT = Spec(
    "reject",
    reject,
    Who.ADMIN,
    texts.USAGE_REJECT,
    ("驳回",),
    Shape(1, True, 1),
    menu=texts.MENU_REJECT,
    help=texts.HELP_REJECT,
)
MERGE = Spec(
    "merge",
    merge,
    Who.ADMIN,
    texts.USAGE_MERGE,
    ("合并",),
    Shape(2, tickets=2),
    menu=texts.MENU_MERGE,
    help=texts.HELP_MERGE,
)
GRANT = Spec("grant", grant_role, Who.ADMIN, texts.USAGE_GRANT, menu=texts.MENU_GRANT, help=texts.HELP_GRANT)
REVOKE = Spec(
    "revoke", revoke_role, Who.ADMIN, texts.USAGE_REVOKE, menu=texts.MENU_REVOKE, help=texts.HELP_REVOKE
)
BIND = Spec("bind", bind, Who.ADMIN, texts.USAGE_BIND, ("绑定",), menu=texts.MENU_BIND, help=texts.HELP_BIND)
AREAS = Spec("areas", areas, Who.ADMIN, texts.USAGE_AREAS, menu=texts.MENU_AREAS, help=texts.HELP_AREAS)
OVERDUE = Spec(
    "overdue",
    overdue,
    Who.ADMIN,
    texts.USAGE_OVERDUE,
    ("超期",),
    menu=texts.MENU_OVERDUE,
    help=texts.HELP_OVERDUE,
)
STATS = Spec(
    "stats", stats, Who.ADMIN, texts.USAGE_STATS, ("统计",), menu=texts.MENU_STATS, help=texts.HELP_STATS
)
SPECS = (ASSIGN, REJECT, MERGE, GRANT, REVOKE, BIND, AREAS, OVERDUE, STATS)


def phone_followup(turn: Turn, stage: int, ticket_id: int, yes: bool) -> None:
    """Record the answer a 代办 resident gave an admin on the phone (是/否, then 满意/不满意)."""
    tickets.phone_followup(turn.u, ticket_id, turn.person, stage, yes)
    labels = {1: (texts.BTN_YES, texts.BTN_NO), 2: (texts.BTN_SATISFIED, texts.BTN_UNSATISFIED)}[stage]
    turn.reply(texts.PHONE_FOLLOWUP_RECORDED.format(id=ticket_id, answer=labels[0] if yes else labels[1]))
