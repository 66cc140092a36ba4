"""WeCom state in the database: the grids' card chats, who is in them, and the cards' update codes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from models.refdata import area_tree
from models.store.seen import forget_before
from models.store.upsert import insert_ignoring
from models.tables import ChatBinding, KeyValue, Person, Role, RoleGrant

from .wechat_store import put
from .wecom_inbound import CHANNEL

NONCE_NAMESPACE = "wecom-nonce"
DOOR_NAMESPACE = "wecom-door"  # callbacks answered by the channel itself (newcomers, voice …)
DOOR_MEMORY = timedelta(days=1)  # WeCom retries within seconds
CARD_CHAT_PREFIX = "-area:"  # a leading "-" makes the sender book it as a group chat
CODE_LIFE = timedelta(hours=72)  # WeCom accepts a card's response_code this long, once


def card_chat(area_code: str) -> str:
    """The chat id of an area's WeCom card chat."""
    return f"{CARD_CHAT_PREFIX}{area_code}"


def is_card_chat(chat_id: str) -> bool:
    """Tell whether a chat id is an area's card chat (not one member)."""
    return chat_id.startswith(CARD_CHAT_PREFIX)


def _worker_grants(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(
        select(Person.external_id, RoleGrant.area_id)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(Person.channel == CHANNEL, RoleGrant.role == Role.WORKER)
    )
    return [(userid, area_id) for userid, area_id in rows]


def members(session: Session, chat_id: str) -> list[str]:
    """The WeCom userids who see an area's cards: workers of that area or of one above it."""
    tree = area_tree(session)
    area = tree.by_code(chat_id.removeprefix(CARD_CHAT_PREFIX))
    if area is None:
        return []
    return sorted({u for u, scope in _worker_grants(session) if tree.is_within(area.id, scope)})


def sync_bindings(session: Session, now: datetime) -> int:
    """Bind a card chat to every area where WeCom workers hold a role, and unbind the rest.

    The cards of a ticket then go where Telegram's would: to the nearest area up the tree with
    a chat, here the nearest with WeCom workers. Return how many bindings changed.
    """
    tree = area_tree(session)
    wanted = {}
    for _, area_id in _worker_grants(session):
        area = tree.by_id.get(area_id)
        if area is not None:
            wanted[card_chat(area.code)] = area.id
    bound = {b.chat_id: b for b in session.scalars(select(ChatBinding).where(ChatBinding.channel == CHANNEL))}
    changed = 0
    for chat_id, binding in bound.items():
        if is_card_chat(chat_id) and wanted.get(chat_id) != binding.area_id:
            session.delete(binding)
            changed += 1
    session.flush()
    table = cast(Table, ChatBinding.__table__)
    dialect = session.get_bind().dialect.name
    for chat_id, area_id in wanted.items():
        if chat_id not in bound or bound[chat_id].area_id != area_id:
            # Several processes may sync at once: the first insert wins, the others change nothing.
            values = {"channel": CHANNEL, "chat_id": chat_id, "area_id": area_id, "created_at": now}
            session.execute(insert_ignoring(dialect, table).values(values))
            changed += 1
    return changed


def _code_key(remote_id: str) -> str:
    return f"wecom:card:{remote_id}"


def keep_code(session: Session, remote_id: str, code: str, now: datetime) -> None:
    """Remember the code that updates the card sent as remote_id."""
    put(session, _code_key(remote_id), code, now + CODE_LIFE, now)


def code_of(session: Session, remote_id: str, now: datetime) -> str | None:
    """The card's update code, if still good (one chat's rows go one at a time: no race)."""
    row = session.execute(
        select(KeyValue.value, KeyValue.expires_at).where(KeyValue.key == _code_key(remote_id))
    ).first()
    if row is None or not row[0] or row[1] is None or row[1] <= now:
        return None
    return str(row[0])


def spend_code(session: Session, remote_id: str, now: datetime) -> None:
    """The code updated the card: WeCom takes each code once."""
    put(session, _code_key(remote_id), "", now + CODE_LIFE, now)


def housekeep(session: Session, now: datetime, nonces_before: datetime) -> int:
    """Forget nonces too old to be replayed, old door keys, and card codes past their life."""
    gone = forget_before(session, NONCE_NAMESPACE, nonces_before)
    gone += forget_before(session, DOOR_NAMESPACE, now - DOOR_MEMORY)
    result = session.execute(
        delete(KeyValue).where(KeyValue.key.like(_code_key("%")), KeyValue.expires_at < now)
    )
    return gone + int(result.rowcount)  # type: ignore[attr-defined]
