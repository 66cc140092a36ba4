"""Neutral inbound and outbound messages shared by every channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChatKind(StrEnum):
    """Whether a message came from a private chat or a group."""

    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True)
class Button:
    """A button: the label people see and the payload the bot gets back."""

    label: str
    payload: str


@dataclass(frozen=True)
class Inbound:
    """One message or button press from a person, in any channel."""

    channel: str
    chat_id: str
    user_id: str
    chat_kind: ChatKind = ChatKind.PRIVATE
    text: str = ""
    payload: str | None = None
    photo: str | None = None
    location: tuple[float, float] | None = None
    datum: str = "wgs84"  # coordinate system of location: "wgs84" (GPS, Telegram) or "gcj02" (WeChat)
    contact: str | None = None
    other_file: str | None = None
    message_id: str | None = None
    user_name: str | None = None
    user_handle: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message the bot sends: text plus optional buttons, photo, or a local file to send as a file."""

    channel: str
    chat_id: str
    text: str
    buttons: tuple[Button, ...] = ()
    photo: str | None = None
    ticket_id: int | None = None
    card_of: int | None = None
    keyboard: str | None = None
    document: str | None = None


@dataclass
class HandleResult:
    """What the pipeline tells the channel after one inbound message."""

    duplicate: bool = False
    alert: str | None = None
    outbox_ids: list[int] = field(default_factory=list)


def _bare(label: str) -> str:
    """A label without its leading emoji and spaces: '📝 反映问题' -> '反映问题'."""
    i = 0
    while i < len(label) and not label[i].isalnum():
        i += 1
    return label[i:].strip()


def find_button(buttons: list[Button], label: str) -> Button | None:
    """The button a person meant by a label: exact, then without the emoji, then a unique part."""
    label = label.strip()
    if not label:
        return None
    for match in (lambda b: b.label == label, lambda b: _bare(b.label) == _bare(label)):
        found = [b for b in buttons if match(b)]
        if found:
            return found[0]
    partial = [b for b in buttons if label in b.label]
    return partial[0] if len(partial) == 1 else None
