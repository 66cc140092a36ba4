"""WeChat state shared by every process, in the database: service windows and the access token."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from models.clock import Clock
from models.store.database import Database
from models.store.seen import forget_before
from models.store.upsert import insert_ignoring, upsert
from models.tables import KeyValue

log = logging.getLogger(__name__)
WINDOW = timedelta(hours=48)  # customer-service messages are allowed this long after the user's last push
WINDOW_MARGIN = timedelta(minutes=1)
WINDOW_REFRESH = timedelta(minutes=10)
NONCE_NAMESPACE = "wx-nonce"
TOKEN_KEY = "wechat:access_token"
TOKEN_MARGIN = timedelta(minutes=5)  # refresh this long before WeChat's expiry


def put(session: Session, key: str, value: str, expires_at: datetime | None, now: datetime) -> None:
    """Insert or overwrite one shared value."""
    table = cast(Table, KeyValue.__table__)
    changed = {"value": value, "expires_at": expires_at, "updated_at": now}
    upsert(session, table, {"key": key, **changed}, [table.c.key], changed)


def _window_key(openid: str) -> str:
    return f"wechat:window:{openid}"


def open_window(session: Session, openid: str, now: datetime) -> None:
    """The user just wrote (or clicked, subscribed, scanned): customer-service messages are allowed."""
    put(session, _window_key(openid), now.isoformat(), now + WINDOW, now)


def close_window(session: Session, openid: str) -> None:
    """The user unsubscribed: no more customer-service messages."""
    session.execute(delete(KeyValue).where(KeyValue.key == _window_key(openid)))


class WindowWrites:
    """Users whose window row this process rewrote lately: rewritten at most every few minutes.

    The stored expiry then lags by up to WINDOW_REFRESH, so the window looks shut slightly early:
    the safe side (a template instead of a refused customer-service message).
    """

    def __init__(self) -> None:
        self._at: dict[str, datetime] = {}

    def fresh(self, openid: str, now: datetime) -> bool:
        """Tell whether the row was rewritten (and committed) recently enough to skip it."""
        at = self._at.get(openid)
        return at is not None and now - at < WINDOW_REFRESH

    def wrote(self, openid: str, now: datetime) -> None:
        """Remember a committed rewrite."""
        self._at[openid] = now

    def forget(self, openid: str) -> None:
        """The window was closed (unsubscribe)."""
        self._at.pop(openid, None)

    def prune(self, now: datetime) -> None:
        """Drop entries too old to matter."""
        self._at = {k: at for k, at in self._at.items() if now - at < WINDOW_REFRESH}


def window_is_open(session: Session, openid: str, now: datetime) -> bool:
    """Tell whether a customer-service message may still be sent to this user."""
    expires = session.scalar(select(KeyValue.expires_at).where(KeyValue.key == _window_key(openid)))
    return expires is not None and expires - WINDOW_MARGIN > now


def housekeep(session: Session, now: datetime, nonces_before: datetime) -> int:
    """Forget nonces too old to be replayed (their timestamps fail anyway) and expired windows."""
    gone = forget_before(session, NONCE_NAMESPACE, nonces_before)
    result = session.execute(
        delete(KeyValue).where(KeyValue.key.like(_window_key("%")), KeyValue.expires_at < now)
    )
    return gone + int(result.rowcount)  # type: ignore[attr-defined]


Fetch = Callable[[], tuple[str, int]]


class TokenStore:
    """The access token, cached in the database: one refresh for all processes, not one each."""

    def __init__(self, db: Database, clock: Clock, fetch: Fetch, key: str = TOKEN_KEY) -> None:
        self.db = db
        self.key = key
        self.clock = clock
        self.fetch = fetch
        self._cached: tuple[str, datetime] | None = None
        self._lock = threading.Lock()

    def _usable(self, value: str | None, expires: datetime | None) -> bool:
        return bool(value) and expires is not None and expires - TOKEN_MARGIN > self.clock.now()

    def current(self) -> str:
        """A valid token: from memory, else from the database, else fetched (once, under a lock)."""
        cached = self._cached
        if cached is not None and self._usable(*cached):
            return cached[0]
        query = select(KeyValue.value, KeyValue.expires_at).where(KeyValue.key == self.key)
        row = self.db.run_sync(lambda s: s.execute(query).first())
        if row is not None and row[1] is not None and self._usable(row[0], row[1]):
            self._cached = (str(row[0]), row[1])
            return str(row[0])
        return self.refresh()

    def refresh(self, stale: str | None = None) -> str:
        """Fetch a new token unless another process did meanwhile; stale is a token WeChat refused."""
        with self._lock:  # threads of this process queue here instead of on the database
            self.db.run_sync(self._ensure_row)
            token, expires = self.db.run_sync(lambda s: self._refresh_locked(s, stale))
            self._cached = (token, expires)
            return token

    def _ensure_row(self, session: Session) -> None:
        now = self.clock.now()
        table = cast(Table, KeyValue.__table__)
        values = {"key": self.key, "value": "", "expires_at": now, "updated_at": now}
        session.execute(insert_ignoring(session.get_bind().dialect.name, table).values(values))

    def _refresh_locked(self, session: Session, stale: str | None) -> tuple[str, datetime]:
        # FOR UPDATE holds the row on PostgreSQL; SQLite transactions here are BEGIN IMMEDIATE,
        # which holds the whole database. Either way a second process waits, then finds the token.
        row = session.scalars(select(KeyValue).where(KeyValue.key == self.key).with_for_update()).one()
        now = self.clock.now()
        if self._usable(row.value, row.expires_at) and row.expires_at is not None and row.value != stale:
            return row.value, row.expires_at  # fresh, or already replaced by another process
        log.info("fetching a new access token for %s", self.key)
        token, expires_in = self.fetch()
        row.value = token
        row.expires_at = now + timedelta(seconds=expires_in)
        row.updated_at = now
        return token, row.expires_at
