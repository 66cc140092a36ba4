"""The report as a scene: one table entry per step owns its question, answer and forgiving rules.

step() is a lookup in STEPS: the entry's hook first (the duplicate question, the suggested
categories), then the words it reads as taps (跳过, 确认提交), then text that continues the
description, then the step's own answer. Answers return the step to go to (a Go).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from models.dialogs import set_state
from models.messages import Button, Inbound

from .. import texts
from ..payloads import WizardAction, WizardNav, unpack
from ..spec import Spec, Who
from ..states import REPORT, Step
from ..turn import Turn
from . import duplicates, photos, words
from .draft import (
    BACK,
    CANCEL,
    STATES,
    Answer,
    Ask,
    Go,
    WizardData,
    data,
    in_report,
    kept,
    no_catalogue,
)
from .steps import category, confirm, description, location, phone, photo, proxy

# A hook that may take the message before the step does: a Go to go there, True when it answered,
# False when the message is not for it.
Hook = Callable[[Turn], Go | bool]


@dataclass(frozen=True)
class StepSpec:
    """One step: its question, its answer, and the rules that read a message before the answer."""

    ask: Ask
    on_answer: Answer
    before: Hook | None = None  # a question owed before this step's own
    skip_words: bool = False  # 不留了 / 不用 / 算了 read as a tap on 跳过
    submit_words: bool = False  # 是的 / 确认 read as a tap on 确认提交
    # Plain text soon after the description continues it here when this says so ...
    continues: Callable[[Turn, WizardData], bool] | None = None
    # ... and is then taken so (given the longer description).
    on_continued: Callable[[Turn, str], Go | bool] = description.appended


def _always(turn: Turn, data: WizardData) -> bool:
    return True


STEPS: dict[Step, StepSpec] = {
    Step.PROXY_NAME: StepSpec(proxy.ask_name, proxy.on_name),
    Step.PROXY_SOURCE: StepSpec(proxy.ask_source, proxy.on_source),
    Step.CATEGORY: StepSpec(
        category.ask_top,
        category.on_category,
        before=category.on_suggestion,
        continues=category.while_suggesting,
        on_continued=category.resuggest,
    ),
    Step.SUBCATEGORY: StepSpec(category.ask_sub, category.on_category),
    Step.SUBITEM: StepSpec(category.ask_subitem, category.on_category),
    Step.DESCRIPTION: StepSpec(description.ask, description.on_description),
    Step.PHOTO: StepSpec(photo.ask, photo.on_photo, skip_words=True, continues=_always),
    Step.LOCATION: StepSpec(location.ask, location.on_location, continues=location.complaint_goes_on),
    Step.COMMUNITY: StepSpec(location.ask_community, location.on_community),
    Step.GRID_PICK: StepSpec(location.ask_grid, location.on_grid),
    Step.PHONE: StepSpec(phone.ask, phone.on_phone, skip_words=True),
    Step.CONFIRM: StepSpec(confirm.ask, confirm.on_confirm, before=duplicates.pending, submit_words=True),
}
RESUME = WizardNav(WizardAction.RESUME)
RESTART = WizardNav(WizardAction.RESTART)


def report(turn: Turn, args: list[str]) -> None:
    """Start the report (in a private chat only: reports carry private details)."""
    if not turn.private:
        turn.reply(texts.PRIVATE_ONLY)
        return
    start(turn)


def start(turn: Turn, *, proxy: bool = False) -> None:
    """Begin a report (or a proxy filing), keeping a deep-link grid if one was scanned."""
    if no_catalogue(turn):
        return
    first_photo = {} if proxy else photos.early(turn)
    set_state(
        turn.dialog, Step.CATEGORY, turn.u.now, {**kept(turn), **first_photo, "back": [], "proxy": proxy}
    )
    if proxy:
        goto(turn, Step.PROXY_NAME, {}, push=False)
    else:
        ask(turn, Step.CATEGORY)


def describe(turn: Turn, text: str, codes: list[str]) -> None:
    """Begin a report with the description the resident wrote first, suggesting these categories."""
    _take(turn, category.suggest(turn, text, codes))


def cancel(turn: Turn) -> None:
    """Leave the report, dropping what was typed."""
    set_state(turn.dialog, Step.IDLE, turn.u.now, dict(kept(turn)))
    turn.reply(texts.CANCELLED, keyboard="remove")


def leave(turn: Turn) -> None:
    """Drop an unfinished report without a word (the main menu was asked for)."""
    turn.dialog.state = Step.IDLE
    turn.dialog.data = dict(kept(turn))


def ask(turn: Turn, step: Step) -> None:
    """Send the question of a step with its buttons."""
    d = data(turn)
    nav = (BACK, CANCEL) if d.get("back") else (CANCEL,)
    STEPS[step].ask(turn, d, nav)


def goto(turn: Turn, step: Step, changes: WizardData, push: bool = True) -> None:
    """Move to a step with these changes to the draft and ask its question."""
    d = data(turn)
    back = list(d.get("back", []))
    if push and turn.dialog.state in STATES:
        back.append(turn.dialog.state)
    d.update(changes)
    d["back"] = back
    set_state(turn.dialog, step, turn.u.now, dict(d))
    ask(turn, step)


def _take(turn: Turn, outcome: Go | bool | None) -> bool:
    """Go where an answer leads; tell whether it took the message."""
    if isinstance(outcome, Go):
        goto(turn, outcome.step, outcome.changes, outcome.push)
        return True
    return bool(outcome)


def ask_resume(turn: Turn) -> None:
    """/report or /start in the middle of a report: continue it or start again?"""
    turn.reply(
        texts.RESUME_OR_RESTART,
        (Button(texts.BTN_RESUME, RESUME.pack()), Button(texts.BTN_RESTART, RESTART.pack())),
    )


def on_press(turn: Turn) -> None:
    """A tap on one of the report's buttons; outside a report it has expired."""
    if in_report(turn):
        step(turn)
    else:
        turn.refuse(texts.BUTTON_EXPIRED)


def step(turn: Turn) -> None:
    """Take the answer to the current step: the buttons every step has, then the step's entry."""
    press = turn.button
    if press == WizardNav(WizardAction.CANCEL):
        cancel(turn)
    elif press == WizardNav(WizardAction.BACK):
        _back(turn)
    elif press == RESUME:
        ask(turn, Step(turn.dialog.state))
    elif press == RESTART:
        start(turn, proxy=bool(data(turn).get("proxy")))
    else:
        _answer(turn, STEPS[Step(turn.dialog.state)])


def _answer(turn: Turn, spec: StepSpec) -> None:
    if photos.more(turn):  # another photo, at a step after the photo step
        return
    if spec.before is not None and _take(turn, spec.before(turn)):
        return
    if spec.skip_words:
        _as_press(turn, words.as_skip(turn.msg))
    if spec.submit_words:
        _as_press(turn, words.as_submit(turn.msg))
    if spec.continues is not None:
        whole = description.joined(turn)
        if whole is not None and spec.continues(turn, data(turn)):
            _take(turn, spec.on_continued(turn, whole))
            return
    if turn.msg.other_file is not None:
        turn.reply(texts.PHOTO_ONLY)
        return
    _take(turn, spec.on_answer(turn))


def _as_press(turn: Turn, msg: Inbound) -> None:
    """Take a message that forgiving reading turned into a tap as that tap (typed, like a real one)."""
    if msg is not turn.msg:
        turn.msg = msg
        turn.button = unpack(msg.payload) if msg.payload is not None else None


def _back(turn: Turn) -> None:
    d = data(turn)
    back = list(d.get("back", []))
    if not back:
        ask(turn, Step(turn.dialog.state))
        return
    previous = Step(back.pop())
    d["back"] = back
    set_state(turn.dialog, previous, turn.u.now, dict(d))
    ask(turn, previous)


REPORT_COMMAND = Spec(
    "report",
    report,
    Who.RESIDENT,
    texts.USAGE_REPORT,
    ("反映问题", "我要反映", "报事"),
    menu=texts.MENU_REPORT,
    help=texts.HELP_REPORT,
)
SPECS = (REPORT_COMMAND,)
# /cancel leaves the report from any step.
CANCELS: dict[str, Callable[[Turn], None]] = {s.value: cancel for s in REPORT}
