"""Photos around the report: a photo sent first starts one, and further photos are kept (up to a limit).

A photo sent outside a report is kept in the chat's dialog and the resident is asked what the
problem is; the report that follows (the description read from free text, or /report) starts
with it. While a report is written, a photo at any step after the description is kept as well,
up to `[report] max_photos`: the first is the ticket's photo, the rest go to models/ticket_photos.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.dialogs import update_data

from .. import texts
from ..states import Step
from ..turn import Turn
from .draft import WizardData, data

# A photo sent first starts the report it belongs to for this long.
EARLY_FOR = timedelta(minutes=30)
# Steps that take a photo themselves: the photo step, and a description sent as a photo's caption.
OWN_PHOTO = frozenset({Step.PHOTO, Step.DESCRIPTION})


def first(turn: Turn, *, ask: bool = True) -> None:
    """A photo outside a report: keep it for the report, and (ask) ask what the problem is."""
    assert turn.msg.photo is not None
    update_data(turn.dialog, turn.u.now, early_photo=turn.msg.photo, early_at=turn.u.now.isoformat())
    if ask:
        turn.reply(texts.PHOTO_FIRST)


def early(turn: Turn) -> WizardData:
    """The photo sent before this report began (within EARLY_FOR), as the draft's first photo."""
    d = dict(turn.dialog.data or {})
    ref, at = d.get("early_photo"), d.get("early_at")
    if not ref or not at or turn.u.now - datetime.fromisoformat(at) > EARLY_FOR:
        return {}
    return {"photo": ref}


def step_after_description(d: WizardData) -> Step:
    """The photo step, unless the draft has a photo already (sent first, or with the description)."""
    return Step.LOCATION if d.get("photo") else Step.PHOTO


def more(turn: Turn) -> bool:
    """Keep a photo sent during the report beyond its photo step; False when the step takes it itself."""
    if not turn.msg.photo or Step(turn.dialog.state) in OWN_PHOTO:
        return False
    d = data(turn)
    if "desc" not in d:
        return False
    limit = turn.u.rules.limits.photos_max
    extra = list(d.get("photos", []))
    count = (1 if d.get("photo") else 0) + len(extra)
    if count >= limit:
        turn.reply(texts.PHOTOS_FULL.format(limit=limit))
        return True
    if d.get("photo"):
        extra.append(turn.msg.photo)
        update_data(turn.dialog, turn.u.now, photos=extra)
    else:
        update_data(turn.dialog, turn.u.now, photo=turn.msg.photo)
    turn.reply(texts.PHOTO_ADDED.format(count=count + 1, limit=limit))
    return True


def photos_of(d: WizardData) -> list[str]:
    """The draft's photos after the first, as many as were kept."""
    return list(d.get("photos", []))
