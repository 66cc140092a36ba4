"""Import a checked territory or catalogue in one transaction: add, rename, update, retire.

Importing the same file twice changes nothing. A retired area or category keeps its row (tickets
refer to it) and is hidden from routing and choices; while it holds open tickets it is retired only
when the caller says where they go, and each ticket is moved by the `move` callback (which tells
the people involved).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select

from ..store.unit_of_work import Unit
from ..tables import ACTIVE, Area, AreaLevel, Category, Ticket
from .catalogue_file import CatalogueFile
from .problems import DataFileError, Problem
from .territory_file import Territory

# move(unit, ticket, target) re-routes one open ticket (an area for territory, a category code
# for the catalogue).
AreaMove = Callable[[Unit, Ticket, Area], object]
CategoryMove = Callable[[Unit, Ticket, Category], object]
R = TypeVar("R", Area, Category)


@dataclass
class Report:
    """What an import did (or, in a dry run, would do), line by line."""

    lines: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Tell whether anything was (or would be) written."""
        return bool(self.lines)


def _json(value: Any) -> Any:
    """Lists for tuples, so a stored JSON value compares equal to the file's."""
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    return value


def _open_tickets(u: Unit, where: Any) -> list[Ticket]:
    return list(u.session.scalars(select(Ticket).where(where, Ticket.status.in_(ACTIVE)).order_by(Ticket.id)))


def import_territory(u: Unit, t: Territory, move_open_to: str | None, move: AreaMove) -> Report:
    """Bring the areas in line with the file; raise DataFileError (nothing written) when it cannot."""
    report = Report()
    existing = {a.code: a for a in u.session.scalars(select(Area))}
    top = next((a for a in existing.values() if a.parent_id is None), None)
    if top is not None and top.code != t.code:
        raise DataFileError(
            [
                Problem(
                    str(t.path),
                    "[subdistrict]",
                    "code",
                    f"the database holds subdistrict {top.code!r} ({top.name}), "
                    f"the file describes {t.code!r}; "
                    f'write code = "{top.code}" to update it (one database serves one subdistrict)',
                )
            ]
        )
    problems: list[Problem] = []

    def upsert(code: str, name: str, level: AreaLevel, parent: Area | None, **fields: Any) -> Area:
        area = existing.get(code)
        label = f"{level} {code} ({name})"
        fields = {k: _json(v) for k, v in fields.items()}
        if area is None:
            area = Area(code=code, name=name, level=level, parent_id=parent.id if parent else None, **fields)
            u.session.add(area)
            u.session.flush()
            existing[code] = area
            report.lines.append(f"add {label}")
            return area
        if area.level != level:
            problems.append(
                Problem(
                    str(t.path),
                    "file",
                    "code",
                    f"{code!r} is a {area.level} in the database and a {level} in the file; "
                    "a code keeps its level: give the new one another code",
                )
            )
            return area
        if area.retired:
            area.retired = False
            report.lines.append(f"bring back {label}")
        if area.name != name:
            report.lines.append(f"rename {level} {code}: {area.name} -> {name}")
            area.name = name
        changed = []
        wanted = {"parent_id": parent.id if parent else None, **fields}
        for key, value in wanted.items():
            if getattr(area, key) != value:
                setattr(area, key, value)
                changed.append("community" if key == "parent_id" else key)
        if changed:
            report.lines.append(f"update {label}: {', '.join(changed)}")
        return area

    def centre(p: tuple[float, float] | None) -> dict[str, float | None]:
        return {"lat": p[0] if p else None, "lon": p[1] if p else None}

    root = upsert(
        t.code,
        t.name,
        AreaLevel.SUBDISTRICT,
        None,
        datum=str(t.datum),
        boundary=t.boundary,
        **centre(t.centre),
    )
    keep = {t.code}
    for d in t.departments:
        upsert(d.code, d.name, AreaLevel.DEPARTMENT, root, owns=list(d.categories) or None)
        keep.add(d.code)
    for cm in t.communities:
        community = upsert(
            cm.code, cm.name, AreaLevel.COMMUNITY, root, boundary=cm.boundary, **centre(cm.centre)
        )
        keep.add(cm.code)
        for g in cm.grids:
            upsert(
                g.code,
                g.name,
                AreaLevel.GRID,
                community,
                boundary=g.boundary,
                names=list(g.names) or None,
                **centre(g.centre),
            )
            keep.add(g.code)
    if problems:
        raise DataFileError(problems)
    _retire_areas(u, t, existing, keep, move_open_to, move, report)
    _owners(u, t, report)
    u.session.flush()
    from .property_import import import_companies  # it builds on Report, defined here

    import_companies(u, t.companies, report)
    return report


def _retire_areas(
    u: Unit,
    t: Territory,
    existing: dict[str, Area],
    keep: set[str],
    move_open_to: str | None,
    move: AreaMove,
    report: Report,
) -> None:
    gone = sorted(
        (a for a in existing.values() if a.code not in keep and not a.retired), key=lambda a: a.code
    )
    target = None
    if move_open_to is not None:
        target = existing.get(move_open_to)
        if target is None or target.code not in keep or target.level == AreaLevel.SUBDISTRICT:
            raise DataFileError(
                [
                    Problem(
                        str(t.path),
                        "--move-open-to",
                        "code",
                        f"{move_open_to!r} is no grid, community or department of this file; "
                        "give the code of one that stays",
                    )
                ]
            )
    _retire(
        u,
        str(t.path),
        gone,
        target,
        lambda a: Ticket.area_id == a.id,
        lambda a: f"{a.level} {a.code} ({a.name})",
        "where they go",
        move,
        report,
    )


def _owners(u: Unit, t: Territory, report: Report) -> None:
    """Top-level categories listed under a department get it as their owner."""
    owner = {cat: d.code for d in t.departments for cat in d.categories}
    if not owner:
        return
    for cat in u.session.scalars(select(Category).where(Category.parent_code.is_(None))):
        wanted = owner.get(cat.code)
        if wanted is not None and cat.department_code != wanted:
            report.lines.append(f"owner of category {cat.code}: {cat.department_code or '-'} -> {wanted}")
            cat.department_code = wanted


def live_departments(u: Unit) -> dict[str, tuple[str, ...]] | None:
    """Live departments and the categories they own; None when no territory is imported."""
    areas = list(u.session.scalars(select(Area).where(Area.retired.is_(False))))
    if not areas:
        return None
    return {a.code: tuple(a.owns or ()) for a in areas if a.level == AreaLevel.DEPARTMENT}


def import_catalogue(u: Unit, c: CatalogueFile, move_open_to: str | None, move: CategoryMove) -> Report:
    """Bring the categories in line with the file; raise DataFileError (nothing written) when it cannot."""
    report = Report()
    existing = {x.code: x for x in u.session.scalars(select(Category))}
    owners = {cat: code for code, cats in (live_departments(u) or {}).items() for cat in cats}
    for n in c.nodes:
        department = n.department or (owners.get(n.code) if n.parent is None else None)
        wanted = {
            "parent_code": n.parent,
            "default_tier": str(n.tier),
            "department_code": department,
            "position": n.position,
            "keywords": list(n.keywords) or None,
            "urgent": n.urgent,
            "open_to_volunteers": n.open_to_volunteers,
            "route": n.route,
            "first": n.first,
        }
        cat = existing.get(n.code)
        if cat is None:
            cat = Category(code=n.code, name=n.name, retired=False, **wanted)
            u.session.add(cat)
            existing[n.code] = cat
            report.lines.append(f"add {_level(n.parent, existing)} {n.code} ({n.name})")
            continue
        if cat.retired:
            cat.retired = False
            report.lines.append(f"bring back {n.code} ({n.name})")
        if cat.name != n.name:
            report.lines.append(f"rename {n.code}: {cat.name} -> {n.name}")
            cat.name = n.name
        changed = [k for k, v in wanted.items() if getattr(cat, k) != v]
        for k in changed:
            setattr(cat, k, wanted[k])
        # Position follows file order: report it only when nothing else explains the change.
        shown = [k.replace("_code", "").replace("default_", "") for k in changed if k != "position"]
        if shown:
            report.lines.append(f"update {n.code} ({n.name}): {', '.join(shown)}")
    keep = {n.code for n in c.nodes}
    gone = sorted(
        (x for x in existing.values() if x.code not in keep and not x.retired), key=lambda x: x.code
    )
    target = None
    if move_open_to is not None:
        target = existing.get(move_open_to)
        if target is None or move_open_to not in keep:
            raise DataFileError(
                [
                    Problem(
                        str(c.path),
                        "--move-open-to",
                        "code",
                        f"{move_open_to!r} is no category of this file; give the code of one that stays",
                    )
                ]
            )
    _retire(
        u,
        str(c.path),
        gone,
        target,
        lambda x: Ticket.category_code == x.code,
        lambda x: f"category {x.code} ({x.name})",
        "which category they take",
        move,
        report,
    )
    u.session.flush()
    return report


def _retire(
    u: Unit,
    path: str,
    gone: Sequence[R],
    target: R | None,
    holds: Callable[[R], Any],
    label: Callable[[R], str],
    where_to: str,
    move: Callable[[Unit, Ticket, R], object],
    report: Report,
) -> None:
    """Retire rows no longer in the file; one with open tickets needs a target, or nothing is written."""
    problems = []
    for row in gone:
        tickets = _open_tickets(u, holds(row))
        if tickets and target is None:
            ids = ", ".join(f"#{x.id}" for x in tickets[:10])
            problems.append(
                Problem(
                    path,
                    "file",
                    row.code,
                    f"{label(row)} is no longer in the file but has {len(tickets)} open tickets ({ids}); "
                    f"import with --move-open-to CODE to say {where_to}",
                )
            )
            continue
        row.retired = True
        line = f"retire {label(row)}"
        if tickets and target is not None:
            for ticket in tickets:
                move(u, ticket, target)
            line += f": {len(tickets)} open tickets move to {target.code}"
        report.lines.append(line)
    if problems:
        raise DataFileError(problems)


def _level(parent: str | None, existing: dict[str, Category]) -> str:
    if parent is None:
        return "category"
    grand = existing.get(parent)
    return "sub-item" if grand is not None and grand.parent_code is not None else "item"
