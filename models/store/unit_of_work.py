"""A unit of work: the session, the time and the rules every domain operation needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..messages import Reply
from ..outbox import enqueue, hold
from ..policy import Limits, PointsPolicy, SlaPolicy, StoragePolicy
from ..refdata import area_tree
from ..tables import Outbox
from ..territory import AreaTree

if TYPE_CHECKING:
    from ..events import Happened

Listener = Callable[["Unit", "Happened"], None]


@dataclass(frozen=True)
class Rules:
    """Everything configurable that domain operations consult."""

    sla: SlaPolicy = field(default_factory=SlaPolicy)
    points: PointsPolicy = field(default_factory=PointsPolicy)
    limits: Limits = field(default_factory=Limits)
    storage: StoragePolicy = field(default_factory=StoragePolicy)
    subdistrict_name: str = "北苑街道"
    nearest_grid_km: float = 3.0
    chart_dir: str = "out/charts"
    web_base_url: str = ""  # [web] base_url: sign-in and progress links (none when empty)
    retention_days: int = 365  # [privacy]: a closed ticket's personal data is removed after this
    consult_category: str = "livelihood"  # [consult] category: what a 咨询 ticket is filed under
    city_callbacks: frozenset[str] = frozenset()  # [hotline] sources whose orders' answers are pushed back


@dataclass
class Unit:
    """One transaction's worth of context; functions below it never commit."""

    session: Session
    now: datetime
    rules: Rules
    _tree: AreaTree | None = None
    sent: list[Outbox] = field(default_factory=list)
    # Told of every recorded event inside the transaction (handlers.notify turns events into messages).
    listener: Listener | None = None
    # Set by scheduled work in quiet hours: messages queued now go out no earlier than this.
    hold: datetime | None = None

    @property
    def tree(self) -> AreaTree:
        """The area tree (a snapshot shared between units, see refdata)."""
        if self._tree is None:
            self._tree = area_tree(self.session)
        return self._tree

    def send(self, reply: Reply) -> Outbox:
        """Queue a message in the outbox as part of this transaction."""
        if self.hold is not None and self.hold > self.now and reply.card_of is None:
            row = hold(self.session, reply, self.now, self.hold)
        else:
            row = enqueue(self.session, reply, self.now)
        self.sent.append(row)
        return row
