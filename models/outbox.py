"""The outbox: every message the bot sends is a row first, delivered after commit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    Update,
    and_,
    any_,
    bindparam,
    event,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from .base import UTCDateTime
from .messages import Button, Reply
from .store.prepared import Prepared, built
from .tables import Outbox, OutboxStatus


def _buttons_json(buttons: tuple[Button, ...]) -> list[list[str]] | None:
    return [[b.label, b.payload] for b in buttons] if buttons else None


_TABLE = cast(Table, Outbox.__table__)
_INSERT = Prepared(insert(_TABLE).returning(_TABLE.c.id))
_LAST_CARD = Prepared(
    select(_TABLE.c.id, _TABLE.c.status)
    .where(
        _TABLE.c.card_of == bindparam("card_of"),
        _TABLE.c.channel == bindparam("channel"),
        _TABLE.c.chat_id == bindparam("chat_id"),
        _TABLE.c.edit_of.is_(None),
    )
    .order_by(_TABLE.c.id.desc())
    .limit(1)
)


def _held_for(session: Session, reply: Reply, now: datetime) -> Outbox | None:
    """A message still held (quiet hours) for the same ticket and chat, never tried yet."""
    if reply.ticket_id is None:
        return None
    return session.scalars(
        select(Outbox)
        .where(
            Outbox.channel == reply.channel,
            Outbox.chat_id == reply.chat_id,
            Outbox.ticket_id == reply.ticket_id,
            Outbox.status == OutboxStatus.PENDING,
            Outbox.attempts == 0,
            Outbox.next_attempt_at > now,
            Outbox.card_of.is_(None),
            Outbox.photo.is_(None),
            Outbox.document.is_(None),
        )
        .order_by(Outbox.id.desc())
        .limit(1)
    ).first()


def hold(session: Session, reply: Reply, now: datetime, until: datetime) -> Outbox:
    """Queue a message for `until` or later; held notices of one ticket to one chat fold into one."""
    if reply.card_of is None and reply.photo is None and reply.document is None:
        held = _held_for(session, reply, now)
        if held is not None:
            if reply.text not in held.text.split("\n\n"):
                held.text = f"{held.text}\n\n{reply.text}"
            if reply.buttons:
                held.buttons = _buttons_json(reply.buttons)
            held.next_attempt_at = max(held.next_attempt_at, until)
            return held
    return enqueue(session, reply, now, not_before=until)


def drop_held(session: Session, ticket_id: int, now: datetime, reason: str, keep: list[int]) -> int:
    """Drop the scheduled notices of a ticket still held for later (quiet hours, rate slots): its
    status changed since they were written, so they tell something no longer true.

    Bulk rows only (reminders, escalations, pushes): direct answers are never dropped, nor the rows
    in `keep` (written in this transaction). Return how many were dropped."""
    held: ColumnElement[datetime] = _TABLE.c.next_attempt_at
    if session.get_bind().dialect.name == "sqlite":
        # SQLite's unary + changes no value but keeps its planner off ix_outbox_due, whose range
        # would read every held row of every ticket, for the pending-by-ticket index.
        held = literal_column("+outbox.next_attempt_at", UTCDateTime())
    stmt = (
        update(_TABLE)
        .where(
            # Written into the SQL, not bound, so the partial index over pending rows applies.
            _TABLE.c.status == literal_column(f"'{OutboxStatus.PENDING.value}'"),
            _TABLE.c.ticket_id == ticket_id,
            held > now,
            _TABLE.c.priority == BULK,
            _TABLE.c.attempts == 0,
            _TABLE.c.card_of.is_(None),
        )
        .values(status=OutboxStatus.DROPPED, error=reason)
        .execution_options(synchronize_session=False)
    )
    if keep:
        stmt = stmt.where(_TABLE.c.id.not_in(keep))
    return int(getattr(session.execute(stmt), "rowcount", 0))


def settle_unserved(session: Session, served: list[str], now: datetime, age: timedelta) -> dict[str, int]:
    """Drop open rows older than `age` of channels that no transport here delivers.

    Such a row (a console reply left by an older release, a channel since switched off) would
    otherwise wait for ever. `error` says why; rows leased by a live process are left alone.
    Return how many were settled per channel."""
    open_ = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
    where = [
        _TABLE.c.status.in_(open_),
        _TABLE.c.created_at < now - age,
        or_(_TABLE.c.lease_until.is_(None), _TABLE.c.lease_until < now),
    ]
    if served:
        where.append(_TABLE.c.channel.not_in(served))
    counts = {
        str(channel): int(n)
        for channel, n in session.execute(
            select(_TABLE.c.channel, func.count()).where(*where).group_by(_TABLE.c.channel)
        )
    }
    for channel in counts:
        session.execute(
            update(_TABLE)
            .where(*where, _TABLE.c.channel == channel)
            .values(
                status=OutboxStatus.DROPPED,
                owner=None,
                lease_until=None,
                error=f"no {channel} channel is configured",
            )
            .execution_options(synchronize_session=False)
        )
    return counts


def enqueue(session: Session, reply: Reply, now: datetime, *, not_before: datetime | None = None) -> Outbox:
    """Queue one message; a card update replaces or edits the card already sent."""
    previous_id = None
    if reply.card_of is not None:
        card = _LAST_CARD.first(
            session, {"card_of": reply.card_of, "channel": reply.channel, "chat_id": reply.chat_id}
        )
        if card is not None and card[1] == OutboxStatus.PENDING:
            # Not sent yet: send the newest version instead of a post then an edit.
            previous = session.get(Outbox, card[0])
            assert previous is not None
            previous.text = reply.text
            previous.buttons = _buttons_json(reply.buttons)
            return previous
        previous_id = card[0] if card is not None else None
    values = {
        "channel": reply.channel,
        "chat_id": reply.chat_id,
        "text": reply.text,
        "buttons": _buttons_json(reply.buttons),
        "photo": reply.photo,
        "document": reply.document,
        "keyboard": reply.keyboard,
        "ticket_id": reply.ticket_id,
        "card_of": reply.card_of,
        "edit_of": previous_id,
        "status": OutboxStatus.PENDING,
        "priority": session.info.get(_PRIORITY_KEY, REPLY),
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }
    # A prebuilt INSERT … RETURNING id straight to the driver (fastsql) instead of add() + flush():
    # the unit of work cost more than the statement. The row handed back is a copy for reading
    # (id, chat, text), not tracked.
    row = _INSERT.first(session, values)
    assert row is not None
    values["id"] = row[0]
    session.info.setdefault(_WRITTEN_KEY, []).append(row[0])
    return built(Outbox, values)


# The rows this transaction queued, by id: stamped with the commit order just before COMMIT. A
# "tx:" key stays in session.info for the whole transaction, also across group-commit units.
_WRITTEN_KEY = "tx:outbox_written"
_LANE_LOCKS = 0x4A53  # pg_advisory_xact_lock's first key: Jiesu's outbox lanes
# Two transactions writing to one chat may commit in the opposite order of their ids. Just before
# COMMIT, a transaction locks every chat it wrote to (in one sorted order, so two transactions
# never wait on each other in a circle) and stamps its rows with a fresh sequence number; the
# locks are held until COMMIT, so within a chat, seq follows the order of the commits.
_STAMP = text(
    """
    WITH mine AS MATERIALIZED (
        SELECT id, channel, chat_id FROM outbox WHERE id = ANY(CAST(:ids AS bigint[]))
    ), locks AS MATERIALIZED (
        SELECT pg_advisory_xact_lock(:ns, k)
        FROM (SELECT DISTINCT hashtext(channel || ':' || chat_id) AS k FROM mine ORDER BY k) AS chats
    ), next AS MATERIALIZED (
        SELECT nextval('outbox_seq') AS v FROM (SELECT count(*) FROM locks) AS held
    )
    UPDATE outbox SET seq = next.v FROM next WHERE outbox.id IN (SELECT id FROM mine)
    """
)


@event.listens_for(Session, "before_commit")
def stamp_commit_order(session: Session) -> None:
    """On PostgreSQL, stamp the rows this transaction queued with its place in each lane's commit order."""
    written = session.info.pop(_WRITTEN_KEY, None)
    if written and session.get_bind().dialect.name == "postgresql":
        session.execute(_STAMP, {"ids": written, "ns": _LANE_LOCKS})


REPLY = 0  # a direct answer to what a person just did
BULK = 1  # reminders, pushes, digests: they wait behind replies when the bot is at its limit
_PRIORITY_KEY = "outbox_priority"
OPEN = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# Written into the SQL, not bound: only then can the planner use the partial indexes over open rows.
_OPEN_SQL: list[ColumnElement[str]] = [literal_column(f"'{s.value}'") for s in OPEN]


_AFTER_COMMIT = "outbox_after_commit"
Later = Callable[[], Reply | None]


def after_commit(session: Session, job: Later) -> None:
    """Run slow work (drawing a chart) after this transaction commits; the reply it returns is queued then."""
    session.info.setdefault(_AFTER_COMMIT, []).append(job)


def take_after_commit(session: Session) -> list[Later]:
    """The jobs a transaction left for after its commit."""
    jobs: list[Later] = session.info.pop(_AFTER_COMMIT, [])
    return jobs


def bulk(session: Session) -> None:
    """Mark every message this transaction queues as a bulk notice (periodic jobs)."""
    session.info[_PRIORITY_KEY] = BULK


def _due(table: Any, now: datetime) -> ColumnElement[bool]:
    """Pending and due, or sending under a lease that ran out (its process died)."""
    return or_(
        and_(table.c.status == OutboxStatus.PENDING, table.c.next_attempt_at <= now),
        and_(table.c.status == OutboxStatus.SENDING, table.c.lease_until < now),
    )


def claim_statement(
    dialect: str,
    now: datetime,
    *,
    owner: str,
    lease_until: datetime,
    channels: list[str],
    limit: int,
    lanes: bool = True,
) -> Update:
    """UPDATE of at most `limit` due rows, each the oldest open row of its chat (its lane head).

    On PostgreSQL the pick is a MATERIALIZED CTE joined once (`UPDATE … FROM pick`): an
    `IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)` subquery may be re-run per outer row and
    claim far more than `limit` rows. With `lanes=False` (the console) rows are taken in plain
    id order: one process prints them one by one.
    """
    o = _TABLE.alias("o")
    if lanes:
        # Each lane's head: its first-committed open row, read off the partial index in one pass
        # (no correlated probe per row, whose plan goes wrong on stale statistics).
        h = _TABLE.alias("h")
        grouped: Select[Any]
        if dialect == "postgresql":  # the lowest (commit seq, id) per chat
            grouped = (
                select(h.c.id)
                .where(h.c.status.in_(_OPEN_SQL), h.c.channel.in_(channels))
                .ext(distinct_on(h.c.channel, h.c.chat_id))
                .order_by(h.c.channel, h.c.chat_id, h.c.seq, h.c.id)
            )
        else:  # SQLite commits one transaction at a time: the smallest open id per chat
            grouped = (
                select(func.min(h.c.id).label("id"))
                .where(h.c.status.in_(_OPEN_SQL), h.c.channel.in_(channels))
                .group_by(h.c.channel, h.c.chat_id)
            )
        pick = select(o.c.id).where(_in(o.c.id, grouped, dialect), _due(o, now))
        pick = pick.order_by(o.c.priority, o.c.id)
    else:
        pick = select(o.c.id).where(o.c.status.in_(_OPEN_SQL), o.c.channel.in_(channels), _due(o, now))
        pick = pick.order_by(o.c.id)
    pick = pick.limit(limit)
    values = {"status": OutboxStatus.SENDING, "lease_until": lease_until, "owner": owner}
    if dialect == "postgresql":
        cte = pick.with_for_update(of=o, skip_locked=True).cte("pick").prefix_with("MATERIALIZED")
        stmt = update(_TABLE).where(_in(_TABLE.c.id, select(cte.c.id), dialect))
    else:  # SQLite: BEGIN IMMEDIATE already makes the transaction the only writer
        stmt = update(_TABLE).where(_TABLE.c.id.in_(pick.scalar_subquery()))
    return stmt.where(_due(_TABLE, now)).values(values).returning(*_TABLE.c)


def _in(column: ColumnElement[int], ids: Select[Any], dialect: str) -> ColumnElement[bool]:
    """column IN ids; on PostgreSQL `= ANY(ARRAY(…))`, an InitPlan run once whatever the statistics
    say (a join or IN may be planned as a nested loop that re-runs the subquery per row)."""
    if dialect == "postgresql":
        return column == any_(func.array(ids.scalar_subquery()))
    return column.in_(ids.scalar_subquery())


def claim_due(
    session: Session,
    now: datetime,
    *,
    owner: str,
    channels: list[str],
    limit: int = 50,
    lease: timedelta = timedelta(seconds=15),
    lanes: bool = True,
) -> list[Any]:
    """Atomically lease up to `limit` due rows for delivery (rows as named tuples, by id)."""
    if not channels:
        return []
    stmt = _claim_template(session.get_bind().dialect.name, tuple(channels), lanes)
    params = {"b_now": now, "b_owner": owner, "b_lease": now + lease, "b_limit": limit}
    return sorted(session.execute(stmt, params).all(), key=lambda r: r.id)


@functools.lru_cache(maxsize=32)
def _claim_template(dialect: str, channels: tuple[str, ...], lanes: bool) -> Update:
    """claim_statement with moment, owner, lease and limit as parameters, built once (it runs per step)."""
    return claim_statement(
        dialect,
        bindparam("b_now", type_=_TABLE.c.next_attempt_at.type),  # type: ignore[arg-type]
        owner=bindparam("b_owner", type_=_TABLE.c.owner.type),  # type: ignore[arg-type]
        lease_until=bindparam("b_lease", type_=_TABLE.c.lease_until.type),  # type: ignore[arg-type]
        channels=list(channels),
        limit=bindparam("b_limit", type_=Integer),  # type: ignore[arg-type]
        lanes=lanes,
    )


_HELD = and_(
    _TABLE.c.id == bindparam("b_id"),
    _TABLE.c.owner == bindparam("b_owner"),
    _TABLE.c.status == OutboxStatus.SENDING,
)
_MARK_SENT = (
    update(_TABLE)
    .where(_HELD)
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("b_at"),
        remote_id=bindparam("b_remote"),
        lease_until=None,
        owner=None,
    )
)
_MARK_RETRY = (
    update(_TABLE)
    .where(_HELD)
    .values(
        status=OutboxStatus.PENDING,
        next_attempt_at=bindparam("b_at"),
        attempts=_TABLE.c.attempts + bindparam("b_spent"),
        error=func.coalesce(bindparam("b_error", type_=_TABLE.c.error.type), _TABLE.c.error),  # None: keep
        remote_id=bindparam("b_remote"),
        lease_until=None,
        owner=None,
    )
)
_MARK_FAILED = (
    update(_TABLE)
    .where(_HELD)
    .values(
        status=OutboxStatus.FAILED,
        attempts=_TABLE.c.attempts + bindparam("b_spent"),
        error=bindparam("b_error"),
        lease_until=None,
        owner=None,
    )
)


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed row: sent, back to pending (retry), or failed for good."""

    row_id: int
    status: str
    at: datetime
    remote_id: str | None = None
    error: str | None = None  # on a retry, None keeps the error the row had (a rebooked slot is none)
    spent: int = 0  # real API attempts this outcome used (0 or 1)


def _error(o: Outcome, status: str) -> str | None:
    """The error to store: a retry without one keeps the row's (None); otherwise text, cut to 1,000."""
    if o.error is None and status == OutboxStatus.PENDING:
        return None
    return (o.error or "")[:1000]


def record(session: Session, owner: str, outcomes: list[Outcome]) -> int:
    """Apply outcomes in one statement per kind, only to rows `owner` still holds; return how many."""
    conn = session.connection()
    applied = 0
    kinds = (
        (OutboxStatus.SENT, _MARK_SENT),
        (OutboxStatus.PENDING, _MARK_RETRY),
        (OutboxStatus.FAILED, _MARK_FAILED),
    )
    for status, stmt in kinds:
        params = [
            {
                "b_id": o.row_id,
                "b_owner": owner,
                "b_at": o.at,
                "b_remote": o.remote_id,
                "b_error": _error(o, status),
                "b_spent": o.spent,
            }
            for o in outcomes
            if o.status == status
        ]
        if params:
            applied += conn.execute(stmt, params).rowcount
    return applied


def renew(session: Session, owner: str, ids: list[int], lease_until: datetime) -> int:
    """Extend the lease of rows still in flight; return how many this process still holds."""
    if not ids:
        return 0
    result = session.execute(
        update(_TABLE)
        .where(_TABLE.c.id.in_(ids), _TABLE.c.owner == owner, _TABLE.c.status == OutboxStatus.SENDING)
        .values(lease_until=lease_until)
    )
    return int(getattr(result, "rowcount", 0))


def release(session: Session, owner: str, ids: list[int] | None = None) -> int:
    """Give leased rows back unsent (shutdown, or a slot too far off): no attempt is spent."""
    where = [_TABLE.c.owner == owner, _TABLE.c.status == OutboxStatus.SENDING]
    if ids is not None:
        where.append(_TABLE.c.id.in_(ids))
    result = session.execute(
        update(_TABLE).where(*where).values(status=OutboxStatus.PENDING, lease_until=None, owner=None)
    )
    return int(getattr(result, "rowcount", 0))


def defer(session: Session, owner: str, until: dict[int, datetime]) -> None:
    """Give rows back to be tried at a later time (their rate-limit slot), spending no attempt."""
    if not until:
        return
    session.connection().execute(
        update(_TABLE)
        .where(_HELD)
        .values(status=OutboxStatus.PENDING, next_attempt_at=bindparam("b_at"), lease_until=None, owner=None),
        [{"b_id": i, "b_owner": owner, "b_at": at} for i, at in until.items()],
    )


_REMOTE_ID = Prepared(select(_TABLE.c.remote_id).where(_TABLE.c.id == bindparam("id")))


def remote_id_of(session: Session, row_id: int) -> str | None:
    """The channel's own message id of a delivered row (for edits)."""
    row = _REMOTE_ID.first(session, {"id": row_id})
    return row[0] if row else None


_LATEST_BUTTONS = Prepared(
    select(_TABLE.c.buttons)
    .where(
        _TABLE.c.channel == bindparam("channel"),
        _TABLE.c.chat_id == bindparam("chat_id"),
        _TABLE.c.buttons.is_not(None),
    )
    .order_by(_TABLE.c.id.desc())
    .limit(1)
)


_LAST_KEYBOARD = Prepared(
    select(_TABLE.c.keyboard)
    .where(
        _TABLE.c.channel == bindparam("channel"),
        _TABLE.c.chat_id == bindparam("chat_id"),
        _TABLE.c.keyboard.is_not(None),
        _TABLE.c.status == literal_column(f"'{OutboxStatus.SENT.value}'"),
        _TABLE.c.id < bindparam("before"),
    )
    .order_by(_TABLE.c.id.desc())
    .limit(1)
)


def last_keyboard(session: Session, channel: str, chat_id: str, before: int) -> str | None:
    """The keyboard kind ("location", "contact", "remove") of the last delivered row before this one."""
    row = _LAST_KEYBOARD.first(session, {"channel": channel, "chat_id": chat_id, "before": before})
    return row[0] if row else None


def latest_buttons(session: Session, channel: str, chat_id: str) -> list[Button]:
    """The buttons of the newest message with buttons in a chat."""
    session.flush()  # as a query would: rows changed in this transaction count
    row = _LATEST_BUTTONS.first(session, {"channel": channel, "chat_id": chat_id})
    return [Button(label, payload) for label, payload in (row[0] if row else None) or []]


def detach_cards(session: Session, ticket_id: int) -> None:
    """Stop editing the cards of a ticket already posted (a moved ticket's old cards keep their note)."""
    session.execute(
        update(Outbox)
        .where(Outbox.card_of == ticket_id)
        .values(card_of=None)
        .execution_options(synchronize_session=False)
    )
