"""WeCom callbacks as neutral messages: text, photo, location, card buttons, menu clicks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.messages import ChatKind, Inbound

from .boundary import clean_inbound
from .wechat_inbound import MENU_KEYS, _coordinate
from .wechat_security import Refused

CHANNEL = "wecom"
MEDIA_PREFIX = "wwmedia:"
MAX_USERID = 64  # WeCom userids are at most 64 bytes
MAX_KEY = 1024  # a button key is at most 1024 bytes


class Kind(StrEnum):
    """What to do with a callback."""

    MESSAGE = "message"  # through the core
    UNSUPPORTED = "unsupported"  # answer "please type or send a photo"
    HELLO = "hello"  # the user opened the app: tell a newcomer who they are
    IGNORE = "ignore"  # answer nothing (view, location reports, contact changes …)


@dataclass(frozen=True)
class Parsed:
    """A callback read: who sent it, to which app, and what it means."""

    kind: Kind
    userid: str
    agent_id: str
    message_id: str
    inbound: Inbound | None = None
    response_code: str | None = None  # a card tap's one-time code to update that user's card


def _inbound(userid: str, message_id: str, **fields: object) -> Inbound:
    return clean_inbound(
        Inbound(
            channel=CHANNEL,
            chat_id=userid,
            user_id=userid,
            chat_kind=ChatKind.PRIVATE,  # the app chat is one person's; cards are taps in it too
            message_id=message_id,
            **fields,  # type: ignore[arg-type]
        )
    )


def _event(f: dict[str, str], userid: str, agent: str, created: str) -> Parsed:
    event = f.get("Event", "").strip().lower()
    key = f.get("EventKey", "").strip()
    task = f.get("TaskId", "").strip()
    # Events carry no MsgId; a retry repeats CreateTime, so that, the event and its key are the id.
    message_id = f"ev:{userid}:{created}:{event}:{task}:{key[:200]}"
    if event == "template_card_event":
        if not key or len(key) > MAX_KEY:
            raise Refused(400, "card event without a usable EventKey")
        code = f.get("ResponseCode", "").strip() or None
        inbound = _inbound(userid, message_id, payload=key)
        return Parsed(Kind.MESSAGE, userid, agent, message_id, inbound, code)
    if event == "click":
        text = MENU_KEYS.get(key.lower(), "/start")
        return Parsed(Kind.MESSAGE, userid, agent, message_id, _inbound(userid, message_id, text=text))
    if event in ("enter_agent", "subscribe"):
        return Parsed(Kind.HELLO, userid, agent, message_id)
    return Parsed(Kind.IGNORE, userid, agent, message_id)


def read_message(f: dict[str, str]) -> Parsed:
    """Interpret the fields of a callback; refuse one that lacks what every callback has."""
    userid, agent = f.get("FromUserName", "").strip(), f.get("AgentID", "").strip()
    msg_type, created = f.get("MsgType", "").strip().lower(), f.get("CreateTime", "").strip()
    if not userid or not msg_type or len(userid) > MAX_USERID:
        raise Refused(400, "callback without FromUserName or MsgType")
    if msg_type == "event":
        return _event(f, userid, agent, created)
    message_id = f.get("MsgId", "").strip() or f"{userid}:{created}"
    if msg_type == "text":
        inbound = _inbound(userid, message_id, text=f.get("Content", ""))
    elif msg_type == "image":
        media = f.get("MediaId", "").strip()
        photo = f.get("PicUrl", "").strip() or (f"{MEDIA_PREFIX}{media}" if media else "")
        if not photo:
            raise Refused(400, "image without PicUrl or MediaId")
        inbound = _inbound(userid, message_id, photo=photo)
    elif msg_type == "location":
        lat = _coordinate(f.get("Location_X", ""), 90)
        lon = _coordinate(f.get("Location_Y", ""), 180)
        inbound = _inbound(userid, message_id, location=(lat, lon), datum="gcj02")
    else:  # voice, video, file, link …
        return Parsed(Kind.UNSUPPORTED, userid, agent, message_id)
    return Parsed(Kind.MESSAGE, userid, agent, message_id, inbound)
