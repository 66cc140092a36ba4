"""Free text outside any dialog: read the intent before showing the menu."""

from __future__ import annotations

from handlers import texts
from models.dialogs import set_state
from models.messages import Button
from models.refdata import catalogue

from . import resident, understand, wizard
from .payloads import NO_SUGGESTION, WizardCategory
from .turn import Turn


def read(turn: Turn) -> None:
    """Answer free text in private by what it means; the menu only when it means nothing we know."""
    text = turn.msg.text
    office = office_keywords(turn)
    understood = understand.reader().intent(text, office) if text else understand.Understood("unknown")
    if understood.intent == "report":
        wizard.report(turn, [])
    elif understood.intent == "my":
        resident.my_tickets(turn, [])
    elif understood.intent == "thanks":
        turn.reply(texts.WELCOME_THANKS, resident.MENU)
    elif understood.intent == "problem" and _fits(turn, text):
        start_described(turn, text, understood.categories)
    elif understood.intent == "unknown" and text:
        turn.reply(texts.UNDERSTOOD_NOTHING.format(text=text[:20]), resident.MENU, keyboard="remove")
    else:
        resident.greet(turn, [])


def office_keywords(turn: Turn) -> dict[str, tuple[str, ...]]:
    """The keywords the office's catalogue file gives its categories (read with the data file's)."""
    return catalogue(turn.u.session).keywords()


def _fits(turn: Turn, text: str) -> bool:
    limits = turn.u.rules.limits
    return limits.description_min <= len(text) <= limits.description_max


def start_described(turn: Turn, description: str, codes: list[str], *, appended: bool = False) -> None:
    """Begin a report whose description is already written; suggest up to three categories."""
    if wizard.no_catalogue(turn):
        return
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
    data = {
        **keep,
        "back": [],
        "proxy": False,
        "desc": description,
        "desc_at": turn.u.now.isoformat(),
        "prefilled": True,
        "suggest": leaves,
    }
    set_state(turn.dialog, wizard.Step.CATEGORY, turn.u.now, data)
    if appended:
        turn.reply(texts.DESCRIPTION_APPENDED.format(description=description))
    if not leaves:
        if not appended:
            turn.reply(texts.SUGGEST_NO_CATEGORY.format(description=description))
        wizard.ask(turn, wizard.Step.CATEGORY)
        return
    buttons = tuple(Button(cat.full_name(c), WizardCategory(c).pack()) for c in leaves)
    turn.reply(
        texts.SUGGEST_CATEGORY.format(description=description) if not appended else texts.ASK_CATEGORY,
        (*buttons, Button(texts.BTN_NONE_OF_THESE, NO_SUGGESTION.pack()), wizard.CANCEL),
    )


def on_suggestion(turn: Turn) -> bool:
    """Take a tap on a suggested category (or 都不是) at the category step; False when it is not one."""
    data = dict(turn.dialog.data or {})
    suggested = data.get("suggest") or []
    press = turn.button
    if not suggested or not isinstance(press, WizardCategory) or turn.dialog.state != wizard.Step.CATEGORY:
        return False
    code = press.code
    if press == NO_SUGGESTION:
        data["suggest"] = []
        set_state(turn.dialog, wizard.Step.CATEGORY, turn.u.now, data)
        wizard.ask(turn, wizard.Step.CATEGORY)
        return True
    if code not in suggested:
        return False
    data["suggest"] = []
    set_state(turn.dialog, wizard.Step.CATEGORY, turn.u.now, data)
    wizard.goto(turn, wizard.Step.PHOTO, {"cat": code})
    return True


def next_after_category(turn: Turn) -> wizard.Step:
    """The step after choosing a category: the description, unless the resident already wrote it."""
    return wizard.Step.PHOTO if (turn.dialog.data or {}).get("prefilled") else wizard.Step.DESCRIPTION
