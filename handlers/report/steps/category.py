"""The category, up to three levels; or one of up to three suggested for a description written first."""

from __future__ import annotations

from models.dialogs import set_state
from models.messages import Button
from models.refdata import catalogue

from ... import texts, understand
from ...payloads import NO_SUGGESTION, WizardCategory
from ...render import category_name
from ...states import Step
from ...turn import Turn
from .. import photos
from ..draft import (
    CANCEL,
    Go,
    Nav,
    WizardData,
    categories,
    data,
    expect_button,
    no_catalogue,
    office_keywords,
)


def _buttons(turn: Turn, parent: str | None) -> Nav:
    return tuple(Button(c.name, WizardCategory(c.code).pack()) for c in categories(turn, parent))


def ask_top(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask the top-level category."""
    turn.reply(texts.ASK_CATEGORY, _buttons(turn, None) + nav)


def ask_sub(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask the item under the chosen category."""
    _ask_below(turn, data["top"], nav)


def ask_subitem(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask the sub-item under the chosen item."""
    _ask_below(turn, data["item"], nav)


def _ask_below(turn: Turn, parent: str, nav: Nav) -> None:
    turn.reply(
        texts.ASK_SUBCATEGORY.format(parent=category_name(turn.u.session, parent)),
        _buttons(turn, parent) + nav,
    )


def on_category(turn: Turn) -> Go | None:
    """Take a tapped category: a branch asks the level below, a leaf moves on."""
    press = expect_button(turn, WizardCategory)
    if press is None:
        return None
    code, state, d = press.code, turn.dialog.state, data(turn)
    parents = {Step.CATEGORY: None, Step.SUBCATEGORY: d.get("top"), Step.SUBITEM: d.get("item")}
    parent = parents[Step(state)]
    valid = {c.code for c in categories(turn, parent)}
    if code not in valid:
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    if state == Step.CATEGORY and categories(turn, code):
        return Go(Step.SUBCATEGORY, {"top": code})
    if state == Step.SUBCATEGORY and categories(turn, code):
        return Go(Step.SUBITEM, {"item": code})
    # A description written before the report started is kept; no need to ask it.
    return Go(photos.step_after_description(d) if d.get("prefilled") else Step.DESCRIPTION, {"cat": code})


def suggest(turn: Turn, description: str, codes: list[str], *, appended: bool = False) -> Go | bool:
    """Begin a report whose description is already written, suggesting up to three categories.

    The Go asks the whole catalogue (nothing to suggest); True: the suggestions were asked.
    """
    if no_catalogue(turn):
        return True
    cat = catalogue(turn.u.session)
    leaves: list[str] = []
    for code in codes:
        if cat.get(code) is None:
            continue
        while children := cat.children(code):  # a branch: its catch-all (兜底) item, listed last
            code = children[-1].code
        if code not in leaves:
            leaves.append(code)
    leaves = leaves[:3]
    keep = {k: v for k, v in (turn.dialog.data or {}).items() if k == "deeplink"}
    fresh = {
        **keep,
        **photos.early(turn),
        "back": [],
        "proxy": False,
        "desc": description,
        "desc_at": turn.u.now.isoformat(),
        "prefilled": True,
        "suggest": leaves,
    }
    set_state(turn.dialog, Step.CATEGORY, turn.u.now, fresh)
    if appended:
        turn.reply(texts.DESCRIPTION_APPENDED.format(description=description))
    if not leaves:
        if not appended:
            turn.reply(texts.SUGGEST_NO_CATEGORY.format(description=description))
        return Go(Step.CATEGORY, push=False)
    buttons = tuple(Button(cat.full_name(c), WizardCategory(c).pack()) for c in leaves)
    turn.reply(
        texts.SUGGEST_CATEGORY.format(description=description) if not appended else texts.ASK_CATEGORY,
        (*buttons, Button(texts.BTN_NONE_OF_THESE, NO_SUGGESTION.pack()), CANCEL),
    )
    return True


def on_suggestion(turn: Turn) -> Go | bool:
    """Take a tap on a suggested category (or 都不是); False when the press is not one."""
    suggested = data(turn).get("suggest") or []
    press = turn.button
    if not suggested or not isinstance(press, WizardCategory):
        return False
    if press == NO_SUGGESTION:
        return Go(Step.CATEGORY, {"suggest": []}, push=False)
    if press.code not in suggested:
        return False
    return Go(photos.step_after_description(data(turn)), {"suggest": [], "cat": press.code})


def while_suggesting(turn: Turn, data: WizardData) -> bool:
    """Text at the suggestions continues the description written first."""
    return bool(data.get("suggest"))


def resuggest(turn: Turn, joined: str) -> Go | bool:
    """The description grew at the suggestions: suggest again for the whole of it."""
    found = understand.reader().categories(joined, office=office_keywords(turn))
    return suggest(turn, joined, [c for c, _ in found], appended=True)
