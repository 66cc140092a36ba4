"""The photo: optional (跳过, or words that mean it)."""

from __future__ import annotations

from ... import texts
from ...payloads import WizardAction
from ...states import Step
from ...turn import Turn
from ..draft import BACK, CANCEL, SKIP, Go, Nav, WizardData, pressed


def ask(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask for a photo, or 跳过."""
    turn.reply(texts.ASK_PHOTO, (SKIP, *nav))


def on_photo(turn: Turn) -> Go | None:
    """Take the photo, or the skip."""
    if pressed(turn, WizardAction.SKIP):
        return Go(Step.LOCATION, {"photo": None})
    if turn.msg.photo:
        return Go(Step.LOCATION, {"photo": turn.msg.photo})
    if turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
    else:
        turn.reply(texts.PHOTO_EXPECTED, (SKIP, BACK, CANCEL))
    return None
