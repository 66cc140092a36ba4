"""WeChat pushes as neutral messages: text, image, location, menu and QR-code events."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from models.messages import ChatKind, Inbound

from .boundary import clean_inbound
from .wechat_security import Refused

CHANNEL = "wechat"
# Custom-menu CLICK keys (set in the WeChat admin console) and the command each one runs.
MENU_KEYS = {
    "report": "/report",
    "my": "/my",
    "help": "/help",
    "menu": "/start",
    "start": "/start",
    "mine": "/mine",
    "points": "/points",
    "rank": "/rank",
}
_SCENE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class Kind(StrEnum):
    """What to do with a push."""

    MESSAGE = "message"  # through the core
    UNSUPPORTED = "unsupported"  # answer "please type or send a photo"
    UNHEARD = "unheard"  # a voice message WeChat sent no recognised text for: "please type it"
    IGNORE = "ignore"  # answer nothing (unsubscribe, menu links, location reports …)


@dataclass(frozen=True)
class Parsed:
    """A push read: who sent it, to which account, and what it means."""

    kind: Kind
    openid: str
    account: str
    message_id: str
    inbound: Inbound | None = None
    window: bool | None = None  # True: opens the 48-hour service window; False: closes it


def _start(scene: str) -> str:
    """The /start command of a QR scene: a grid code pre-fills the report's location."""
    return f"/start {scene}" if _SCENE.match(scene) else "/start"


def _inbound(openid: str, message_id: str, **fields: object) -> Inbound:
    return clean_inbound(
        Inbound(
            channel=CHANNEL,
            chat_id=openid,
            user_id=openid,
            chat_kind=ChatKind.PRIVATE,
            message_id=message_id,
            **fields,  # type: ignore[arg-type]
        )
    )


def _event(f: dict[str, str], openid: str, account: str, created: str) -> Parsed:
    event = f.get("Event", "").strip().lower()
    key = f.get("EventKey", "").strip()
    # Events carry no MsgId: WeChat's advice is FromUserName + CreateTime (the event name is added
    # so that a subscribe and a SCAN of the same second stay two events).
    message_id = f"ev:{openid}:{created}:{event}"
    if event == "subscribe":
        text = _start(key.removeprefix("qrscene_")) if key.startswith("qrscene_") else "/start"
    elif event == "scan":
        text = _start(key)
    elif event == "click":
        text = MENU_KEYS.get(key.lower(), "/start")
    elif event == "unsubscribe":
        return Parsed(Kind.IGNORE, openid, account, message_id, window=False)
    else:  # VIEW (menu link), LOCATION reports, TEMPLATESENDJOBFINISH …: nothing to say
        return Parsed(Kind.IGNORE, openid, account, message_id)
    return Parsed(Kind.MESSAGE, openid, account, message_id, _inbound(openid, message_id, text=text), True)


DATUM = "gcj02"


def _coordinate(value: str, bound: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise Refused(400, "location is not a number") from None
    if not (math.isfinite(number) and -bound <= number <= bound):
        raise Refused(400, "location out of range")
    return number


def read_message(f: dict[str, str]) -> Parsed:
    """Interpret the fields of a push; refuse one that lacks what every push has."""
    openid, account = f.get("FromUserName", "").strip(), f.get("ToUserName", "").strip()
    msg_type, created = f.get("MsgType", "").strip().lower(), f.get("CreateTime", "").strip()
    if not openid or not account or not msg_type or len(openid) > 64:
        raise Refused(400, "push without FromUserName, ToUserName or MsgType")
    if msg_type == "event":
        return _event(f, openid, account, created)
    message_id = f.get("MsgId", "").strip() or f"{openid}:{created}"
    if msg_type == "text":
        inbound = _inbound(openid, message_id, text=f.get("Content", ""))
    elif msg_type == "image":
        media = f.get("MediaId", "").strip()
        photo = f.get("PicUrl", "").strip() or (f"wxmedia:{media}" if media else "")
        if not photo:
            raise Refused(400, "image without PicUrl or MediaId")
        inbound = _inbound(openid, message_id, photo=photo)
    elif msg_type == "location":
        lat = _coordinate(f.get("Location_X", ""), 90)
        lon = _coordinate(f.get("Location_Y", ""), 180)
        # WeChat location messages are GCJ-02 (the map in the WeChat client is Tencent's).
        inbound = _inbound(openid, message_id, location=(lat, lon), datum=DATUM)
    elif msg_type == "voice" and (heard := f.get("Recognition", "").strip()):
        # With 接收语音识别结果 switched on, WeChat sends what it heard: read it as if typed.
        inbound = _inbound(openid, message_id, text=heard)
    elif msg_type == "voice":
        return Parsed(Kind.UNHEARD, openid, account, message_id, window=True)
    else:  # video, shortvideo, link, file …
        return Parsed(Kind.UNSUPPORTED, openid, account, message_id, window=True)
    return Parsed(Kind.MESSAGE, openid, account, message_id, inbound, True)
