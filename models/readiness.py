"""What a database still lacks before residents arrive: the figures behind `jiesu doctor`.

Only facts with their codes and names; the doctor (bot/cli_doctor.py) decides what blocks and words it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import demo
from .holidays import knows_year
from .policy import SlaPolicy
from .tables import AreaLevel, Category, ChatBinding, Dialog, Person, Role, RoleGrant, StaffInvite, Ticket
from .territory import AreaTree

# The national schedule of a year is published in the autumn before (usually October or November):
# from this month on, the next year's absence is worth a warning.
NEXT_YEAR_FROM_MONTH = 10


@dataclass(frozen=True)
class Place:
    """An area as the doctor names it: its code, its name, and its community's name for a grid."""

    code: str
    name: str
    community: str = ""


@dataclass(frozen=True)
class Readiness:
    """The gaps of one database, each a list (empty: nothing to fix)."""

    areas: int
    categories: int
    tickets: int
    demo: bool
    grids: int = 0
    admins: int = 0  # admins on a configured channel (granted, or named in the config: granted at start)
    grids_without_worker: list[tuple[Place, tuple[str, ...]]] = field(default_factory=list)  # invited
    grids_without_chat: list[tuple[Place, Place | None]] = field(default_factory=list)  # cards go there
    categories_without_owner: list[tuple[str, str, str | None]] = field(default_factory=list)
    departments_without_staff: list[Place] = field(default_factory=list)
    silent_admins: list[tuple[str, str, str]] = field(default_factory=list)  # channel, user id, name


def readiness(session: Session, admins: Iterable[tuple[str, str]], channels: Collection[str]) -> Readiness:
    """The gaps of the live territory, catalogue and staff.

    admins: (channel, user id) of the admins the config names; channels: the chat channels that are
    configured (an admin on another channel could not be reached anyway)."""
    tree = AreaTree.load(session)
    live = [a for a in tree.by_id.values() if not a.retired]
    cats = list(session.scalars(select(Category).where(Category.retired.is_(False)).order_by(Category.id)))
    r = Readiness(
        areas=len(live),
        categories=len(cats),
        tickets=session.scalar(select(func.count()).select_from(Ticket)) or 0,
        demo=demo.holds_demo(session),
    )
    if not live:
        return r
    r = replace(r, grids=len(tree.level(AreaLevel.GRID)))
    grants = list(session.scalars(select(RoleGrant)))
    invites = list(session.scalars(select(StaffInvite)))
    bound = {b.area_id for b in session.scalars(select(ChatBinding))}

    def place(area_id: int) -> Place:
        area = tree.by_id[area_id]
        community = tree.community_of(area_id) if area.level == AreaLevel.GRID else None
        return Place(area.code, area.name, community.name if community is not None else "")

    for grid in sorted(tree.level(AreaLevel.GRID), key=lambda a: a.id):
        over = {a.id for a in tree.ancestors(grid.id)}
        if not any(g.role == Role.WORKER and g.area_id in over for g in grants):
            waiting = tuple(sorted({i.name for i in invites if i.role == Role.WORKER and i.area_id in over}))
            r.grids_without_worker.append((place(grid.id), waiting))
        if grid.id not in bound:
            catcher = next((a for a in tree.ancestors(grid.id) if a.id in bound), None)
            r.grids_without_chat.append((place(grid.id), place(catcher.id) if catcher is not None else None))

    departments = {a.code for a in tree.level(AreaLevel.DEPARTMENT)}
    for cat in cats:
        if cat.department_code is not None and cat.department_code not in departments:
            r.categories_without_owner.append((cat.code, cat.name, cat.department_code))
        elif cat.parent_code is None and cat.department_code is None:
            r.categories_without_owner.append((cat.code, cat.name, None))

    staffed = {g.area_id for g in grants} | {i.area_id for i in invites} | bound
    r.departments_without_staff.extend(
        place(d.id)
        for d in sorted(tree.level(AreaLevel.DEPARTMENT), key=lambda a: a.id)
        if d.id not in staffed
    )

    live_ids = {a.id for a in live}
    wanted = {(c, i) for c, i in admins if c in channels}
    rows = session.execute(
        select(Person.channel, Person.external_id, Person.name)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(
            RoleGrant.role == Role.ADMIN, RoleGrant.area_id.in_(live_ids), Person.channel.in_(list(channels))
        )
    ).all()
    names = {(str(c), str(i)): str(n or "") for c, i, n in rows}
    wanted |= set(names)
    wrote = {
        (str(c), str(i))
        for c, i in session.execute(select(Dialog.channel, Dialog.user_id).distinct()).all()
        if (str(c), str(i)) in wanted
    }
    r.silent_admins.extend((c, i, names.get((c, i), "")) for c, i in sorted(wanted - wrote))
    return replace(r, admins=len(wanted))


def calendar_gaps(today: date, policy: SlaPolicy) -> tuple[int | None, int | None]:
    """(this year, next year) when the working-day calendar has no holidays for it, else None.

    A year counts as known when the national calendar is on and knows it, or when the config lists
    a holiday in it. The next year is looked at from October, when its schedule is due."""
    uses_calendar = policy.working_days or bool(policy.office_hours)

    def missing(year: int) -> int | None:
        if not uses_calendar:
            return None
        if policy.national_holidays and knows_year(year):
            return None
        return None if any(d.year == year for d in policy.holidays) else year

    next_year = missing(today.year + 1) if today.month >= NEXT_YEAR_FROM_MONTH else None
    return missing(today.year), next_year
