"""Sending limits shared by every process through the database, in sliding windows.

A scope (a bot, a chat, a group) keeps its last `count` send times in `delivery_limits`. A send
at time t is allowed when the count-th latest send is at least `per` seconds before t, so no
window of `per` seconds ever holds more than `count` sends, whichever process sent them. Slots
are booked in the claim's transaction (the scope rows are locked on PostgreSQL; SQLite's write
lock serialises the transaction), and in the order given: direct replies before bulk notices.

A booked slot only holds at the API if the request leaves on time and arrives in about the same
time as its neighbours. So every window is booked MARGIN longer than the limit, the sender never
sends a message more than LATE after its slot (a late one goes back to the queue and books again),
and a scope may ask for `spacing` between its sends so that a starved process sends a steady
stream instead of a burst whose tail would run into the next window.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.tables import DeliveryLimit

_TABLE: Table = DeliveryLimit.__table__  # type: ignore[assignment]
MARGIN = 0.1  # seconds added to every window: a send's lateness (<= LATE) plus uneven transit
LATE = 0.05  # a message whose slot passed longer ago than this is not sent but booked again
# Booked sends lie at most `horizon` ahead of the booking process's clock; one further off than
# that (plus this much skew between processes) was booked before the wall clock stepped back, and
# would stall the scope until the clock caught up with it: it is stale and forgotten.
SKEW = 2.0
PAUSE_MOST = 600.0  # a pause further off than this was set before a step back: cut to this


@dataclass(frozen=True)
class Rate:
    """At most `count` sends in any `per` seconds."""

    count: int
    per: float
    spacing: float = 0.0  # at least this long between two sends of the scope (smooths bursts)


@dataclass(frozen=True)
class ChannelLimits:
    """The limits of one channel: per bot, per chat, and per group chat on top."""

    bot: Rate | None = None
    chat: Rate | None = None
    group: Rate | None = None

    def scopes(self, channel: str, chat_id: str, group: bool) -> list[tuple[str, Rate]]:
        """The scopes a message to chat_id counts against."""
        out = []
        if self.bot:
            out.append((f"{channel}:bot", self.bot))
        if self.chat:
            out.append((f"{channel}:chat:{chat_id}", self.chat))
        if self.group and group:
            out.append((f"{channel}:group:{chat_id}", self.group))
        return out


UNLIMITED = ChannelLimits()


@dataclass
class _Scope:
    sends: list[float]
    paused_until: float
    changed: bool = False


@dataclass(frozen=True)
class Request:
    """One message asking for a slot."""

    key: int
    scopes: list[tuple[str, Rate]]


def _ensure(session: Session, scopes: Iterable[str], now: float) -> None:
    rows = [{"scope": s, "sends": "[]", "paused_until": 0.0, "touched": now} for s in scopes]
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(_TABLE).on_conflict_do_nothing(index_elements=["scope"]), rows)
    else:
        session.execute(sqlite_insert(_TABLE).on_conflict_do_nothing(index_elements=["scope"]), rows)


def _load(session: Session, scopes: list[str], now: float) -> dict[str, _Scope]:
    _ensure(session, scopes, now)
    pick = select(_TABLE.c.scope, _TABLE.c.sends, _TABLE.c.paused_until).where(_TABLE.c.scope.in_(scopes))
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.order_by(_TABLE.c.scope).with_for_update()  # one lock order: no deadlocks
    return {r.scope: _Scope(json.loads(r.sends), r.paused_until) for r in session.execute(pick)}


def _save(session: Session, state: dict[str, _Scope], now: float) -> None:
    params = [
        {
            "b_scope": k,
            "b_sends": json.dumps([round(t, 4) for t in v.sends]),
            "b_paused": v.paused_until,
            "b_now": now,
        }
        for k, v in state.items()
        if v.changed
    ]
    if params:
        session.connection().execute(
            update(_TABLE)
            .where(_TABLE.c.scope == bindparam("b_scope"))
            .values(
                sends=bindparam("b_sends"), paused_until=bindparam("b_paused"), touched=bindparam("b_now")
            ),
            params,
        )


def _forget_future(state: dict[str, _Scope], now: float, horizon: float) -> None:
    """Drop send times no process can have booked from now's point of view (the clock stepped back)."""
    latest = now + horizon + SKEW
    for s in state.values():
        kept = [t for t in s.sends if t <= latest]
        if len(kept) != len(s.sends):
            s.sends, s.changed = kept, True
        if s.paused_until > now + PAUSE_MOST:
            s.paused_until, s.changed = now + PAUSE_MOST, True


def book(session: Session, requests: list[Request], now: float, horizon: float) -> dict[int, float]:
    """Each request's earliest slot (epoch seconds); slots within `horizon` of now are booked."""
    names = sorted({name for r in requests for name, _ in r.scopes})
    state = _load(session, names, now) if names else {}
    _forget_future(state, now, horizon)
    slots: dict[int, float] = {}
    for r in requests:
        at = now
        for name, rate in r.scopes:
            s = state[name]
            at = max(at, s.paused_until)
            if s.sends:
                at = max(at, s.sends[-1] + rate.spacing)  # a scope's sends are booked in time order
            if len(s.sends) >= rate.count:
                at = max(at, s.sends[-rate.count] + rate.per + MARGIN)
        slots[r.key] = at
        if at - now <= horizon:
            for name, rate in r.scopes:
                s = state[name]
                s.sends = [*s.sends, at][-rate.count :]
                s.changed = True
    _save(session, state, now)
    return slots


def pause(session: Session, scope: str, until: float, now: float) -> None:
    """Send nothing in a scope before `until` (Telegram's retry_after), for every process."""
    state = _load(session, [scope], now)
    s = state[scope]
    if until > s.paused_until:
        s.paused_until = until
        s.changed = True
    _save(session, state, now)


def prune(session: Session, before: float) -> int:
    """Forget chat scopes idle since `before` (the table stays as small as the active chats)."""
    result = session.execute(
        delete(_TABLE).where(
            _TABLE.c.touched < before, _TABLE.c.paused_until < before, _TABLE.c.scope.not_like("%:bot")
        )
    )
    return int(getattr(result, "rowcount", 0))
