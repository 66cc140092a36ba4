"""Reference data (areas, categories): read once per engine and shared by every transaction.

Nothing in the running bot writes these tables (the demo seed and migrations do, before
serving), so each message need not read them again. A snapshot is kept for at most
REFRESH_SECONDS, so an edit made out of band (SQL, another process) is seen within a minute;
code that changes them in-process calls forget() after its commit.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from .tables import Area, Category
from .territory import AreaTree

REFRESH_SECONDS = 60.0
T = TypeVar("T")


@dataclass(frozen=True)
class Catalogue:
    """The category tree: lookups by code, children in display order, full names."""

    by_code: dict[str, Category]
    _children: dict[str | None, list[Category]] = field(default_factory=dict)
    # configured codes -> every urgent code: worked out once per snapshot (the snapshot is immutable).
    _urgent: dict[frozenset[str], frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, categories: list[Category]) -> Catalogue:
        """Index a list of categories."""
        children: dict[str | None, list[Category]] = {}
        for c in sorted(categories, key=lambda c: (c.position, c.id)):
            children.setdefault(c.parent_code, []).append(c)
        return cls({c.code: c for c in categories}, children)

    def get(self, code: str) -> Category | None:
        """The category with this code, if any."""
        return self.by_code.get(code)

    def children(self, parent: str | None) -> list[Category]:
        """Live top-level categories (parent None) or the items of one, by position."""
        return [c for c in self._children.get(parent, []) if not c.retired]

    def full_name(self, code: str) -> str:
        """物业/电梯/电梯困人 down the tree, the name for a top category, the code when unknown."""
        names: list[str] = []
        cat = self.by_code.get(code)
        while cat is not None and len(names) < 3:
            names.append(cat.name)
            cat = self.by_code.get(cat.parent_code) if cat.parent_code else None
        return "/".join(reversed(names)) or code

    def urgent_codes(self, configured: frozenset[str] = frozenset()) -> frozenset[str]:
        """Every category that is urgent, flagged in the catalogue or configured, or under one that is."""
        known = self._urgent.get(configured)
        if known is not None:
            return known
        found: set[str] = set(configured)
        for code in self.by_code:
            cat = self.by_code.get(code)
            while cat is not None:
                if cat.urgent or cat.code in configured:
                    found.add(code)
                    break
                cat = self.by_code.get(cat.parent_code) if cat.parent_code else None
        self._urgent[configured] = frozenset(found)
        return self._urgent[configured]

    def keywords(self) -> dict[str, tuple[str, ...]]:
        """The office's keywords per live category, as the catalogue file gives them."""
        return {
            code: tuple(str(k) for k in c.keywords)
            for code, c in self.by_code.items()
            if c.keywords and not c.retired
        }

    def is_urgent(self, code: str, configured: frozenset[str] = frozenset()) -> bool:
        """Tell whether tickets of this category are urgent: alerted at once, no office or quiet hours.

        The one lookup for urgency (configured codes merged in), so a catalogue imported while the
        bot runs counts as soon as the snapshot is reloaded."""
        return code in self.urgent_codes(configured)


# engine -> {kind: (loaded_at, value)}
_cache: weakref.WeakKeyDictionary[Any, dict[str, tuple[float, Any]]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _cached(session: Session, kind: str, load: Callable[[Session], T], empty: Callable[[T], bool]) -> T:
    bind = session.get_bind()
    now = time.monotonic()
    with _lock:
        entry = _cache.get(bind, {}).get(kind)
    if entry is not None and now - entry[0] < REFRESH_SECONDS:
        return cast(T, entry[1])
    value = load(session)
    if not empty(value):  # an empty table is not cached: the seed may be about to fill it
        with _lock:
            _cache.setdefault(bind, {})[kind] = (now, value)
    return value


def _load_areas(session: Session) -> AreaTree:
    # Plain rows made into transient objects: never attached to, nor expired by, any session.
    rows = session.execute(select(Area.__table__)).mappings()
    return AreaTree({r["id"]: Area(**r) for r in rows})


def _load_categories(session: Session) -> Catalogue:
    rows = session.execute(select(Category.__table__)).mappings()
    return Catalogue.of([Category(**r) for r in rows])


def area_tree(session: Session) -> AreaTree:
    """Every area, from the shared snapshot."""
    return _cached(session, "areas", _load_areas, lambda t: not t.by_id)


def catalogue(session: Session) -> Catalogue:
    """Every category, from the shared snapshot."""
    return _cached(session, "categories", _load_categories, lambda c: not c.by_code)


def forget(session: Session) -> None:
    """Drop the snapshots of this session's database (after changing areas or categories)."""
    with _lock:
        _cache.pop(session.get_bind(), None)
