"""The description: words, within the office's length limits; text sent soon after continues it."""

from __future__ import annotations

from datetime import datetime, timedelta

from ... import texts
from ...render import category_name
from ...states import Step
from ...textclean import clean
from ...turn import Turn
from .. import photos
from ..draft import Go, Nav, WizardData, data
from ..words import has_words

# Text arriving this soon after the description continues it (a description sent in two messages).
APPEND_WITHIN = timedelta(minutes=2)


def ask(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask the description, saying the limits."""
    limits = turn.u.rules.limits
    turn.reply(
        texts.ASK_DESCRIPTION.format(
            category=category_name(turn.u.session, data["cat"]),
            min=limits.description_min,
            max=limits.description_max,
        ),
        nav,
    )


def on_description(turn: Turn) -> Go | None:
    """Take the description; a photo with a caption answers the photo step too."""
    if turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    limits = turn.u.rules.limits
    desc = clean(turn.msg.text)
    if not desc or not has_words(desc):  # 😡😡😡 is not a description
        turn.reply(texts.DESCRIPTION_EMPTY)
    elif len(desc) < limits.description_min:
        turn.reply(texts.DESCRIPTION_SHORT.format(min=limits.description_min))
    elif len(desc) > limits.description_max:
        turn.reply(texts.DESCRIPTION_LONG.format(length=len(desc), max=limits.description_max))
    elif turn.msg.photo:
        return Go(Step.LOCATION, {"desc": desc, "photo": turn.msg.photo, "desc_at": turn.u.now.isoformat()})
    else:
        return Go(
            photos.step_after_description(data(turn)), {"desc": desc, "desc_at": turn.u.now.isoformat()}
        )
    return None


def joined(turn: Turn) -> str | None:
    """The description with this text added, when plain text came soon after it; None otherwise."""
    msg, d = turn.msg, data(turn)
    if msg.payload is not None or msg.photo or msg.location or msg.contact or msg.other_file or not msg.text:
        return None
    if not d.get("desc") or not d.get("desc_at"):
        return None
    if turn.u.now - datetime.fromisoformat(d["desc_at"]) > APPEND_WITHIN:
        return None
    desc = d["desc"]
    whole = desc + ("" if desc[-1] in "，。！？,.!? " else "，") + msg.text
    return whole if len(whole) <= turn.u.rules.limits.description_max else None


def appended(turn: Turn, whole: str) -> Go | bool:
    """Keep the longer description, say so and ask the same step again."""
    turn.reply(texts.DESCRIPTION_APPENDED.format(description=whole))
    return Go(Step(turn.dialog.state), {"desc": whole, "desc_at": turn.u.now.isoformat()}, push=False)
