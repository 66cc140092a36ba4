"""The demo subdistrict (北苑街道): the example territory and catalogue files, imported on an empty database.

The files are examples/beiyuan/*, copied into this package (models/demo_data/) so that an
installed jiesu finds them; tests/test_territory_files.py keeps the two copies identical.

A database the demo was seeded into carries a marker (a `kv` row), so an office that started the
bot once before setting `demo = false` can see that its data is the demo's and clear it with
`remove` while no ticket has been filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from .datafiles import catalogue_file, territory_file
from .datafiles.importing import import_catalogue, import_territory, live_departments
from .faq import import_faq, read_file
from .store.unit_of_work import Rules, Unit
from .tables import Area, Category, ChatBinding, Dialog, FaqEntry, KeyValue, RoleGrant, StaffInvite, Ticket

DATA = Path(__file__).resolve().parent / "demo_data"
TERRITORY = DATA / "territory.toml"
CATALOGUE = DATA / "catalogue.toml"
FAQ = DATA / "faq.toml"
MARKER = "demo:seeded"  # kv key; its value is the demo subdistrict's code


@dataclass(frozen=True)
class DemoInUse(Exception):
    """The demo data cannot be removed: tickets were filed on it."""

    tickets: int


@dataclass(frozen=True)
class Removed:
    """What removing the demo took away, by kind of row."""

    areas: int
    categories: int
    grants: int
    bindings: int
    invites: int
    dialogs: int


def _no_moves(*_: object) -> None:  # pragma: no cover - an empty database has no tickets to move
    raise AssertionError("the demo seed moves no tickets")


@cache
def _demo_areas() -> frozenset[tuple[str, str]]:
    """(code, name) of every area the demo territory file describes."""
    t = territory_file.parse(TERRITORY).territory
    codes = {(t.code, t.name)} | {(d.code, d.name) for d in t.departments}
    for cm in t.communities:
        codes.add((cm.code, cm.name))
        codes |= {(g.code, g.name) for g in cm.grids}
    return frozenset(codes)


def seed(session: Session) -> bool:
    """Import the demo territory and catalogue into an empty database; False when it holds areas."""
    if session.scalar(select(Area.id).limit(1)) is not None:
        return False
    now = datetime.now(UTC)
    u = Unit(session, now, Rules())
    territory = territory_file.parse(TERRITORY).territory
    import_territory(u, territory, None, _no_moves)
    if session.scalar(select(Category.id).limit(1)) is None:
        checked = catalogue_file.parse(CATALOGUE, live_departments(u))
        import_catalogue(u, checked.catalogue, None, _no_moves)
    if session.scalar(select(FaqEntry.code).limit(1)) is None:
        import_faq(session, read_file(FAQ.read_text(encoding="utf-8")))
    session.add(KeyValue(key=MARKER, value=territory.code, expires_at=None, updated_at=now))
    session.flush()
    return True


def holds_demo(session: Session) -> bool:
    """Tell whether the areas in this database are the demo's (seeded, and not replaced since)."""
    rows = {(a.code, a.name) for a in session.scalars(select(Area).where(Area.retired.is_(False)))}
    if not rows:
        return False
    marked = session.scalar(select(KeyValue.value).where(KeyValue.key == MARKER))
    top = session.scalar(select(Area.code).where(Area.parent_id.is_(None)))
    if marked is not None:
        return top == marked
    # Seeded before the marker existed: the areas are exactly the demo file's.
    return rows == set(_demo_areas())


def unmark(session: Session) -> None:
    """The areas are the office's now (it imported its territory over the demo's codes): drop the marker."""
    session.execute(delete(KeyValue).where(KeyValue.key == MARKER))


def remove(session: Session) -> Removed:
    """Delete the demo's areas, catalogue, grants, bindings and dialogs; refuse once tickets exist.

    People stay (they are channel identities: configured admins get their grant again on the
    office's territory at the next start)."""
    tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
    if tickets:
        raise DemoInUse(tickets=tickets)

    def gone(statement: Executable) -> int:
        return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    grants = gone(delete(RoleGrant))
    bindings = gone(delete(ChatBinding))
    invites = gone(delete(StaffInvite))
    dialogs = gone(delete(Dialog))  # a half-written report may name a demo grid or category
    categories = gone(delete(Category))
    session.execute(update(Area).values(parent_id=None))
    areas = gone(delete(Area))
    session.execute(delete(KeyValue).where(KeyValue.key == MARKER))
    session.flush()
    return Removed(areas, categories, grants, bindings, invites, dialogs)
