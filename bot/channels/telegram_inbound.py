"""Telegram updates as neutral messages: text, commands, photos, locations, contacts, button taps."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Chat, Message, Update, User

from models.messages import ChatKind, Inbound

from .boundary import clean_inbound
from .boundary import location as checked_location

CHANNEL = "telegram"
# Pictures sent "as a file" (uncompressed) are still photos of the problem.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_KINDS = {Chat.PRIVATE: ChatKind.PRIVATE, Chat.GROUP: ChatKind.GROUP, Chat.SUPERGROUP: ChatKind.GROUP}

# Telegram shares GPS positions as they are: WGS-84.
DATUM = "wgs84"


@dataclass(frozen=True)
class Me:
    """Who the bot is, from getMe: its id scopes update ids, its username addresses commands."""

    id: int
    username: str


def dedupe_key(me: Me, update: Update) -> str:
    """The idempotency key of an update: update ids are unique per bot."""
    return f"{me.id}:{update.update_id}"


def addressed_elsewhere(text: str, me: Me) -> bool:
    """Tell whether a command names another bot, as in /start@other_bot."""
    if not text.startswith("/"):
        return False
    head = text.split(maxsplit=1)[0] if text.strip() else ""
    _, at, name = head.partition("@")
    return bool(at) and name.lower() != me.username.lower()


def _base(update: Update, me: Me, chat: Chat, user: User) -> dict[str, object] | None:
    kind = _KINDS.get(chat.type)
    if kind is None or user.is_bot:  # channels, other bots, anonymous group admins
        return None
    return {
        "channel": CHANNEL,
        # In a private chat the chat id is the user id; a group's id is its own (negative) number.
        "chat_id": str(user.id) if kind == ChatKind.PRIVATE else str(chat.id),
        "user_id": str(user.id),
        "chat_kind": kind,
        "message_id": dedupe_key(me, update),
        "user_name": user.full_name,
        "user_handle": user.username,
    }


def _phone(number: str) -> str:
    """Telegram often gives '8613800138000'; the core reads '+86…' as a Chinese number."""
    number = number.strip()
    return number if number.startswith("+") else "+" + number


def _message_fields(message: Message, locations: bool = True) -> dict[str, object] | None:
    """What a message carries, in the neutral fields; None for service messages (joins, pins …).

    locations=False: a location is left out (it was not on Earth, and is answered as such)."""
    fields: dict[str, object] = {"text": message.text or message.caption or ""}
    user = message.from_user
    if message.photo:
        fields["photo"] = message.photo[-1].file_id  # the sizes come smallest first
    elif message.document is not None:
        if (message.document.mime_type or "") in IMAGE_TYPES:
            fields["photo"] = message.document.file_id
        else:
            fields["other_file"] = message.document.file_name or message.document.file_id
    elif message.location is not None:  # venues carry their location too; BadLocation if not on Earth
        if not locations:
            return fields
        fields["location"] = checked_location(message.location.latitude, message.location.longitude)
        fields["datum"] = DATUM
    elif message.contact is not None:
        # Only the sender's own number counts; someone else's contact card is not a phone answer.
        if user is not None and message.contact.user_id == user.id:
            fields["contact"] = _phone(message.contact.phone_number)
    else:
        media = (
            message.video,
            message.audio,
            message.voice,
            message.video_note,
            message.animation,
            message.sticker,
        )
        other = next((m for m in media if m is not None), None)
        if other is not None:
            fields["other_file"] = other.file_id
        elif not fields["text"]:
            return None
    return fields


def message_inbound(update: Update, me: Me, *, locations: bool = True) -> Inbound | None:
    """A message update as an Inbound, or None when it is not for the core (locations: _message_fields)."""
    message = update.message
    if message is None or message.from_user is None:
        return None
    base = _base(update, me, message.chat, message.from_user)
    if base is None:
        return None
    fields = _message_fields(message, locations)
    if fields is None or addressed_elsewhere(str(fields["text"]), me):
        return None
    return clean_inbound(Inbound(**base, **fields))  # type: ignore[arg-type]


def callback_inbound(update: Update, me: Me) -> Inbound | None:
    """A button tap as an Inbound with its payload, or None when its chat is unknown."""
    query = update.callback_query
    if query is None or query.message is None or query.data is None:
        return None
    base = _base(update, me, query.message.chat, query.from_user)
    if base is None:
        return None
    return clean_inbound(Inbound(**base, payload=query.data))  # type: ignore[arg-type]
