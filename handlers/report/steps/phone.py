"""The phone number: optional, shared as a contact or typed (a worker types the resident's)."""

from __future__ import annotations

from ... import texts
from ...payloads import WizardAction
from ...states import Step
from ...textclean import parse_phone, phone_in
from ...turn import Turn
from ..draft import BACK, CANCEL, SKIP, Go, Nav, WizardData, pressed


def ask(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask for a phone number, or 跳过."""
    if data.get("proxy"):  # the staff member types the resident's number; their own is no use
        turn.reply(texts.ASK_PROXY_PHONE, (SKIP, *nav), keyboard="remove")
    else:
        turn.reply(texts.ASK_PHONE, (SKIP, *nav), keyboard="contact")


def on_phone(turn: Turn) -> Go | None:
    """Take the number, or the skip."""
    msg = turn.msg
    if pressed(turn, WizardAction.SKIP):
        return Go(Step.CONFIRM, {"phone": None})
    if msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    phone = parse_phone(msg.contact or msg.text) or phone_in(msg.text)
    if phone is None:
        turn.reply(texts.PHONE_INVALID, (SKIP, BACK, CANCEL))
        return None
    return Go(Step.CONFIRM, {"phone": phone})
