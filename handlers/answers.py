"""A typed answer read as a button press: the option's number, or its label."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy.orm import Session

from models.messages import Button, Inbound, find_button
from models.outbox import latest_buttons

LABEL_MAX = 20  # longer text is a message, not a tap
_NUMBER = re.compile(r"^\s*([0-9０-９]{1,2})\s*[.。、)）]?\s*$")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def option_number(text: str) -> int | None:
    """The number in '2', '２' or '2.' (an option of a numbered list), else None."""
    m = _NUMBER.match(text)
    return int(m.group(1).translate(_FULL_WIDTH)) if m else None


def pick(buttons: list[Button], text: str, *, numbers: bool, whole: bool = True) -> Button | None:
    """The button a typed answer names: its number (when options are shown numbered), or its label.

    whole=True takes a label only when the text is all of it (emoji aside), so that 'road' in a
    sentence is not a tap; whole=False also takes a unique part of a label (console scripts).
    """
    number = option_number(text) if numbers else None
    if number is not None:
        return buttons[number - 1] if 1 <= number <= len(buttons) else None
    button = find_button(buttons, text)
    if button is None or (whole and not _bare_equal(button.label, text)):
        return None
    return button


def _bare_equal(label: str, text: str) -> bool:
    """Typed text counts as a tap only when it is the whole label (emoji aside), not a part."""
    return label.strip() == text.strip() or label.strip().endswith(" " + text.strip())


def as_press(session: Session, msg: Inbound, *, numbers: bool) -> Inbound:
    """The message as a tap on the chat's latest buttons when its text names one, else unchanged."""
    if msg.payload is not None or not msg.text:
        return msg
    number = option_number(msg.text) if numbers else None
    if number is None and (len(msg.text) > LABEL_MAX or msg.text.startswith("/")):
        return msg
    button = pick(latest_buttons(session, msg.channel, msg.chat_id), msg.text, numbers=numbers)
    return msg if button is None else replace(msg, payload=button.payload, text="")
