"""The terminal channel: a scriptable chat with residents, workers and groups, for demos and tests."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TextIO

from bot.config import ConfigError, parse_duration
from handlers.answers import option_number, pick
from models.messages import ChatKind, Inbound
from models.outbox import latest_buttons

from ..app import App
from ..delivery import Delivery, OutgoingMessage

CHANNEL = "console"
_LINE = re.compile(r"^(?P<user>[A-Za-z0-9_]+)(?:@(?P<group>[A-Za-z0-9_]+))?:\s?(?P<text>.*)$")
_SPECIAL = re.compile(r"^\[(?P<kind>tap|photo|location|contact)\s+(?P<arg>.+)\]$")
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


class ConsoleLineError(ValueError):
    """A script line that cannot be understood; the message says why."""


def is_image(path: Path) -> bool:
    """Tell by the first bytes whether a file is a JPEG, PNG, GIF or WebP picture."""
    with path.open("rb") as fh:
        head = fh.read(16)
    return head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


@dataclass
class ConsoleTransport:
    """Prints every delivered message: `[chat] text`, then the buttons, or one JSON line."""

    out: TextIO
    jsonl: bool = False
    channel: str = CHANNEL
    ordered: ClassVar[bool] = True  # one row after another in outbox order: transcripts are stable
    transcript: list[dict[str, object]] = field(default_factory=list)

    def emit(
        self, chat: str, text: str, buttons: list[str], photo: str | None, document: str | None = None
    ) -> None:
        """Write one message in the console's output format (a file as its path on a line of its own)."""
        record: dict[str, object] = {"chat": chat, "text": text, "buttons": buttons, "photo": photo}
        if document:
            record["document"] = document
        self.transcript.append(record)
        if self.jsonl:
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            self.out.write(f"[{chat}] {text}\n")
            if buttons:
                self.out.write("  " + "  ".join(f"[{i}] {b}" for i, b in enumerate(buttons, 1)) + "\n")
            if document:
                self.out.write(f"  [file {document}]\n")
        self.out.flush()

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Print a message (an edited card is printed again in full)."""
        self.emit(
            message.chat_id, message.text, [b.label for b in message.buttons], message.photo, message.document
        )
        return Delivery(ok=True, remote_id=str(message.id))


class Console:
    """Reads script lines and drives the app as residents, workers and admins would."""

    def __init__(self, app: App, transport: ConsoleTransport) -> None:
        self.app = app
        self.transport = transport

    async def run_line(self, line: str) -> None:
        """Execute one script line; raise ConsoleLineError when it makes no sense."""
        line = line.rstrip("\r\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return
        if stripped.startswith("!"):
            await self._directive(stripped)
            return
        m = _LINE.match(stripped)
        if not m:
            raise ConsoleLineError(
                f"cannot parse {stripped[:60]!r}: expected 'USER: TEXT' or 'USER@GROUP: TEXT'"
            )
        user, group, text = m.group("user"), m.group("group"), m.group("text")
        chat = f"@{group}" if group else user
        kind = ChatKind.GROUP if group else ChatKind.PRIVATE
        msg = await self._inbound(user, chat, kind, text)
        result = await self.app.handle_and_deliver(msg)
        if result.alert:
            # A button refusal is shown only to the person who tapped, as Telegram does.
            self.transport.emit(user, result.alert, [], None)

    async def _directive(self, line: str) -> None:
        name, _, arg = line[1:].partition(" ")
        if name != "advance":
            raise ConsoleLineError(f"unknown directive !{name}: only !advance DURATION exists")
        try:
            delta = parse_duration(arg.strip(), "!advance")
        except ConfigError as exc:
            raise ConsoleLineError(str(exc)) from None
        await self.app.advance(delta)

    async def _inbound(self, user: str, chat: str, kind: ChatKind, text: str) -> Inbound:
        base = {
            "channel": CHANNEL,
            "chat_id": chat,
            "user_id": user,
            "chat_kind": kind,
            "message_id": uuid.uuid4().hex,
            "user_name": user,
            "user_handle": user,
        }
        special = _SPECIAL.match(text.strip())
        if not special:
            return Inbound(text=text, **base)  # type: ignore[arg-type]
        kind_name, arg = special.group("kind"), special.group("arg").strip()
        if kind_name == "tap":
            buttons = await self.app.db.run(lambda s: latest_buttons(s, CHANNEL, chat))
            if not buttons:
                raise ConsoleLineError(f"no message with buttons in chat {chat} yet")
            chosen = pick(buttons, arg, numbers=True, whole=False)
            if chosen is None and option_number(arg) is not None:
                raise ConsoleLineError(f"[tap {arg}]: the latest buttons in {chat} are 1..{len(buttons)}")
            if chosen is None:
                labels = ", ".join(b.label for b in buttons)
                raise ConsoleLineError(f"[tap {arg}]: no such button in {chat} (have: {labels})")
            return Inbound(payload=chosen.payload, **base)  # type: ignore[arg-type]
        if kind_name == "photo":
            path = Path(arg).expanduser()
            if not path.is_file():
                raise ConsoleLineError(f"[photo {arg}]: no such file")
            if not is_image(path):
                return Inbound(other_file=str(path), **base)  # type: ignore[arg-type]
            return Inbound(photo=str(path), **base)  # type: ignore[arg-type]
        if kind_name == "location":
            try:
                lat_s, lon_s = arg.split(",")
                lat, lon = float(lat_s), float(lon_s)
            except ValueError:
                raise ConsoleLineError(f"[location {arg}]: expected LAT,LON like 29.345,120.075") from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ConsoleLineError(f"[location {arg}]: latitude or longitude out of range")
            return Inbound(location=(lat, lon), **base)  # type: ignore[arg-type]
        return Inbound(contact=arg, **base)  # type: ignore[arg-type]
