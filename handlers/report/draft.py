"""The draft a report keeps in the dialog row, the buttons every step shows, and the next-step answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict, TypeVar, cast

from models.messages import Button
from models.refdata import catalogue
from models.tables import AreaLevel, Category

from .. import texts
from ..payloads import Payload, WizardAction, WizardNav
from ..render import area_label
from ..states import REPORT, Step
from ..turn import Turn


class WizardData(TypedDict, total=False):
    """What the report keeps in the dialog row between steps (stored as JSON)."""

    back: list[str]  # the steps to return to with 返回, latest last
    proxy: bool  # a worker files for a resident (代办)
    deeplink: int  # the area of a scanned QR code
    pname: str  # proxy: the resident's name
    psrc: str  # proxy: how the resident reached the worker (a ProxySource)
    top: str  # the top category chosen, when it has subcategories
    item: str  # the item chosen, when it has sub-items (the catalogue's third level)
    cat: str
    desc: str
    photo: str | None
    photos: list[str]  # the photos after the first (report/photos.py)
    lat: float | None
    lon: float | None
    datum: str  # of lat/lon, as the channel sent them
    addr: str | None
    area: int
    picks: list[str]  # the grid codes a typed address may belong to, for the resident to pick
    phone: str | None
    desc_at: str  # when the description was taken (ISO): text soon after continues it
    prefilled: bool  # the description was written before the report started
    suggest: list[str]  # categories suggested for a description written outside the report
    dup: int  # the open ticket offered as the same problem
    dup_checked: bool  # the duplicate question was asked (or there was none)
    reminded: bool  # the idle draft was reminded once


Nav = tuple[Button, ...]
P = TypeVar("P", bound=Payload)
STATES = frozenset(s.value for s in REPORT)
BACK = Button(texts.BTN_BACK, WizardNav(WizardAction.BACK).pack())
CANCEL = Button(texts.BTN_CANCEL, WizardNav(WizardAction.CANCEL).pack())
SKIP = Button(texts.BTN_SKIP, WizardNav(WizardAction.SKIP).pack())
SUBMIT = Button(texts.BTN_SUBMIT, WizardNav(WizardAction.SUBMIT).pack())
NONE_OF_THESE = Button(texts.BTN_NONE_OF_THESE, WizardNav(WizardAction.NONE_OF_THESE).pack())


@dataclass(frozen=True)
class Go:
    """What an answer leads to: this step's question next, with these changes to the draft."""

    step: Step
    changes: WizardData = field(default_factory=lambda: WizardData())
    push: bool = True  # 返回 comes back to the step answered (False: asking the same step again)


# A step's question (the turn, the draft, the 返回 / 取消 buttons) and its answer (None: stay).
Ask = Callable[[Turn, WizardData, Nav], None]
Answer = Callable[[Turn], Go | None]


def in_report(turn: Turn) -> bool:
    """Tell whether this chat is in the middle of a report."""
    return turn.dialog.state in STATES


def data(turn: Turn) -> WizardData:
    """A copy of the draft."""
    return cast(WizardData, dict(turn.dialog.data or {}))


def kept(turn: Turn) -> WizardData:
    """What outlives a report: the grid of a scanned code."""
    d = data(turn)
    return {"deeplink": d["deeplink"]} if "deeplink" in d else {}


def categories(turn: Turn, parent: str | None) -> list[Category]:
    """The categories in force under a parent (the top level for None)."""
    return catalogue(turn.u.session).children(parent)


def no_catalogue(turn: Turn) -> bool:
    """Say so and return True when no category is in force: a report could not be filed."""
    if categories(turn, None):
        return False
    turn.reply(texts.NO_CATALOGUE)
    return True


def expect_button(turn: Turn, kind: type[P]) -> P | None:
    """The button of this step that was pressed, or None after telling the user."""
    if turn.msg.payload is None:
        turn.reply(texts.CHOICE_EXPECTED)
        return None
    if not isinstance(turn.button, kind):
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    return turn.button


def pressed(turn: Turn, action: WizardAction) -> bool:
    """Tell whether the press is the report's own button for this action."""
    return turn.button == WizardNav(action)


def deeplink_hint(turn: Turn, area_id: int) -> str:
    """Say which grid (or community) a scanned code filled in."""
    area = turn.u.tree.by_id[area_id]
    template = texts.LOCATION_HINT_GRID if area.level == AreaLevel.GRID else texts.LOCATION_HINT_COMMUNITY
    return template.format(grid=area_label(turn.u, area_id))


def office_keywords(turn: Turn) -> dict[str, tuple[str, ...]]:
    """The keywords the office's catalogue file gives its categories (read with the data file's)."""
    return catalogue(turn.u.session).keywords()
