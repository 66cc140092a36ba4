"""The wizard forgives: 不留了 means skip, a description needs words."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from handlers import texts
from models.dialogs import set_state
from models.messages import Button, Inbound

from .normalise import bare
from .payloads import WizardAction, WizardNav

if TYPE_CHECKING:
    from .turn import Turn

# Text arriving this soon after the description continues it (a description sent in two messages).
APPEND_WITHIN = timedelta(minutes=2)
RESUME = WizardNav(WizardAction.RESUME)
RESTART = WizardNav(WizardAction.RESTART)

# Said at an optional step (photo, phone): the same as tapping 跳过.
SKIP_WORDS = frozenset(
    bare(w)
    for w in (
        "跳过",
        "不留了",
        "不留",
        "不用",
        "不用了",
        "算了",
        "没有",
        "没有照片",
        "不发了",
        "不要",
        "无",
        "不给",
        "不方便",
    )
)


def has_words(text: str) -> bool:
    """Tell whether a description has at least one letter or Chinese character (😡😡😡 has none)."""
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def as_skip(msg: Inbound, optional_step: bool) -> Inbound:
    """不留了 / 不用 / 算了 typed at an optional step reads as a tap on 跳过."""
    if optional_step and msg.payload is None and not msg.photo and msg.text and bare(msg.text) in SKIP_WORDS:
        return replace(msg, payload=WizardNav(WizardAction.SKIP).pack(), text="")
    return msg


def as_submit(msg: Inbound, confirm_step: bool) -> Inbound:
    """是 / 确认 / 提交 typed at the confirm step reads as a tap on 确认提交 (anything else is re-asked)."""
    from . import understand

    said = understand.reader().answer(msg.text, "confirm") if confirm_step and msg.payload is None else None
    return (
        replace(msg, payload=WizardNav(WizardAction.SUBMIT).pack(), text="") if said == "yes_submit" else msg
    )


def append(turn: Turn) -> bool:
    """Add text sent right after the description to it, say so and ask the step again; False otherwise."""
    from . import intake, understand, wizard  # wizard imports this module

    msg, data = turn.msg, dict(turn.dialog.data or {})
    state = turn.dialog.state
    if msg.payload is not None or msg.photo or msg.location or msg.contact or msg.other_file or not msg.text:
        return False
    if not data.get("desc") or not data.get("desc_at"):
        return False
    if turn.u.now - datetime.fromisoformat(data["desc_at"]) > APPEND_WITHIN:
        return False
    at_suggestions = state == wizard.Step.CATEGORY and bool(data.get("suggest"))
    if state == wizard.Step.LOCATION:
        # At the location step typed text is normally the address: only a continued complaint is added.
        back = data.get("back") or []
        if (
            not back
            or back[-1] != wizard.Step.DESCRIPTION
            or understand.reader().intent(msg.text, intake.office_keywords(turn)).intent != "problem"
        ):
            return False
    elif state != wizard.Step.PHOTO and not at_suggestions:
        return False
    joined = data["desc"] + ("" if data["desc"][-1] in "，。！？,.!? " else "，") + msg.text
    if len(joined) > turn.u.rules.limits.description_max:
        return False
    if at_suggestions:
        intake.start_described(
            turn,
            joined,
            [c for c, _ in understand.reader().categories(joined, office=intake.office_keywords(turn))],
            appended=True,
        )
        return True
    data.update(desc=joined, desc_at=turn.u.now.isoformat())
    set_state(turn.dialog, state, turn.u.now, data)
    turn.reply(texts.DESCRIPTION_APPENDED.format(description=joined))
    wizard.ask(turn, wizard.Step(state))
    return True


def ask_resume(turn: Turn) -> None:
    """/report or /start in the middle of a report: continue it or start again?"""
    turn.reply(
        texts.RESUME_OR_RESTART,
        (Button(texts.BTN_RESUME, RESUME.pack()), Button(texts.BTN_RESTART, RESTART.pack())),
    )


def on_resume(turn: Turn) -> bool:
    """Take the answer to ask_resume; False when the button is another one."""
    from . import wizard

    if turn.button == RESUME:
        wizard.ask(turn, wizard.Step(turn.dialog.state))
    elif turn.button == RESTART:
        wizard.start(turn, proxy=bool((turn.dialog.data or {}).get("proxy")))
    else:
        return False
    return True
