"""Areas (subdistrict, communities, grids, departments) and the chats bound to them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from .store.prepared import Prepared, attached
from .tables import Area, AreaLevel, ChatBinding

if TYPE_CHECKING:
    from .routing import Router


@dataclass(frozen=True)
class AreaTree:
    """All areas in memory: a small table, walked up and down often.

    Retired areas (dropped from the territory file) stay here so old tickets keep their names,
    but codes, levels and children list live areas only."""

    by_id: dict[int, Area]

    @classmethod
    def load(cls, session: Session) -> AreaTree:
        """Read every area."""
        return cls({a.id: a for a in session.scalars(select(Area))})

    def by_code(self, code: str) -> Area | None:
        """Find a live area by its command code (case-insensitive) or exact name."""
        code = code.strip().lower()
        for area in self.by_id.values():
            if area.retired:
                continue
            if area.code.lower() == code or area.name == code:
                return area
        return None

    def ancestors(self, area_id: int) -> list[Area]:
        """The area itself, then its parent, up to the top."""
        chain: list[Area] = []
        current: int | None = area_id
        while current is not None and current in self.by_id:
            area = self.by_id[current]
            chain.append(area)
            current = area.parent_id
        return chain

    def is_within(self, area_id: int, scope_id: int) -> bool:
        """Tell whether area_id is scope_id or lies below it."""
        return any(a.id == scope_id for a in self.ancestors(area_id))

    def subtree_ids(self, scope_id: int) -> set[int]:
        """Ids of the scope and everything below it."""
        return {a for a in self.by_id if self.is_within(a, scope_id)}

    def level(self, level: AreaLevel) -> list[Area]:
        """Live areas of one level, ordered by code."""
        return sorted(
            (a for a in self.by_id.values() if a.level == level and not a.retired), key=lambda a: a.code
        )

    def community_of(self, area_id: int) -> Area | None:
        """The community an area belongs to, if any."""
        return next((a for a in self.ancestors(area_id) if a.level == AreaLevel.COMMUNITY), None)

    def top(self) -> Area:
        """The subdistrict at the root."""
        return next(a for a in self.by_id.values() if a.parent_id is None)

    def children(self, area_id: int) -> list[Area]:
        """Live direct children, ordered by code."""
        return sorted(
            (a for a in self.by_id.values() if a.parent_id == area_id and not a.retired), key=lambda a: a.code
        )

    @cached_property
    def router(self) -> Router:
        """Polygons, centres and names indexed for routing (built once per snapshot)."""
        from .routing import router_for

        return router_for(self)


_BINDINGS = cast(Table, ChatBinding.__table__)
_BINDING_COLUMNS = tuple(c.key for c in _BINDINGS.c)
# Every new ticket's card looks its chats up: prebuilt, straight to the driver (as people.py does).
_BOUND = Prepared(
    select(_BINDINGS).where(_BINDINGS.c.area_id == bindparam("area_id")).order_by(_BINDINGS.c.id)
)


def bound_chats(session: Session, area_id: int) -> list[ChatBinding]:
    """Group chats bound to exactly this area."""
    session.flush()  # as a query would: bindings made in this transaction count
    rows = _BOUND.rows(session, {"area_id": area_id})
    return [attached(session, ChatBinding, _BINDING_COLUMNS, row) for row in rows]


def chats_up_from(session: Session, tree: AreaTree, area_id: int) -> list[ChatBinding]:
    """The chats of the nearest area, walking up, that has any bound."""
    for area in tree.ancestors(area_id):
        chats = bound_chats(session, area.id)
        if chats:
            return chats
    return []


def binding_of(session: Session, channel: str, chat_id: str) -> ChatBinding | None:
    """The binding of a group chat, if it has one."""
    return session.scalar(
        select(ChatBinding).where(ChatBinding.channel == channel, ChatBinding.chat_id == chat_id)
    )
