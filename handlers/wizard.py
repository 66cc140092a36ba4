"""The report wizard: category (up to three levels), description, photo, location, phone, confirm."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict, TypeVar, cast

from handlers import texts
from models import tickets
from models.datafiles.addresses import MatchKind
from models.dialogs import set_state
from models.errors import BadInput
from models.messages import Button, Inbound
from models.refdata import catalogue
from models.routing import How
from models.store.unit_of_work import Unit
from models.tables import IDLE, AreaLevel, Category, Ticket

from . import duplicates, forgiving, urgent, web
from .notify import post_card
from .payloads import (
    Payload,
    ProxySource,
    WizardAction,
    WizardCategory,
    WizardCommunity,
    WizardGrid,
    WizardNav,
    WizardSource,
    unpack,
)
from .render import area_label, category_name
from .textclean import clean, parse_phone
from .turn import Command, Turn


class Step(StrEnum):
    """Named wizard states, stored in the dialog row."""

    PROXY_NAME = "proxy_name"
    PROXY_SOURCE = "proxy_source"
    CATEGORY = "category"
    SUBCATEGORY = "subcategory"
    SUBITEM = "subitem"  # the third level of the catalogue (category -> item -> sub-item)
    DESCRIPTION = "description"
    PHOTO = "photo"
    LOCATION = "location"
    COMMUNITY = "community"
    GRID_PICK = "grid_pick"  # a typed address that names several grids: the resident picks
    PHONE = "phone"
    CONFIRM = "confirm"


class WizardData(TypedDict, total=False):
    """What the wizard keeps in the dialog row between steps (stored as JSON)."""

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
    lat: float | None
    lon: float | None
    datum: str  # of lat/lon, as the channel sent them
    addr: str | None
    area: int
    picks: list[str]  # the grid codes a typed address may belong to, for the resident to pick
    phone: str | None
    # handlers/intake.py, forgiving.py, duplicates.py, drafts.py:
    desc_at: str  # when the description was taken (ISO): text soon after continues it
    prefilled: bool  # the description was written before the wizard started
    suggest: list[str]  # categories suggested for a description written outside the wizard
    dup: int  # the open ticket offered as the same problem
    dup_checked: bool  # the duplicate question was asked (or there was none)
    reminded: bool  # the idle draft was reminded once


Nav = tuple[Button, ...]


@dataclass(frozen=True)
class StepSpec:
    """One step: how to ask its question, and what to do with the answer."""

    ask: Callable[[Turn, WizardData, Nav], None]
    on_answer: Callable[[Turn], None]


STATES = {s.value for s in Step}
BACK = Button(texts.BTN_BACK, WizardNav(WizardAction.BACK).pack())
CANCEL = Button(texts.BTN_CANCEL, WizardNav(WizardAction.CANCEL).pack())
SKIP = Button(texts.BTN_SKIP, WizardNav(WizardAction.SKIP).pack())
SUBMIT = Button(texts.BTN_SUBMIT, WizardNav(WizardAction.SUBMIT).pack())
NONE_OF_THESE = Button(texts.BTN_NONE_OF_THESE, WizardNav(WizardAction.NONE_OF_THESE).pack())
P = TypeVar("P", bound=Payload)


def in_wizard(turn: Turn) -> bool:
    """Tell whether this chat is in the middle of a report."""
    return turn.dialog.state in STATES


def _kept(turn: Turn) -> WizardData:
    """What outlives a report: the grid of a scanned code."""
    data = _data(turn)
    return {"deeplink": data["deeplink"]} if "deeplink" in data else {}


def report(turn: Turn, args: list[str]) -> None:
    """Start the report wizard (in a private chat only: reports carry private details)."""
    if not turn.private:
        turn.reply(texts.PRIVATE_ONLY)
        return
    start(turn)


def no_catalogue(turn: Turn) -> bool:
    """Say so and return True when no category is in force: a report could not be filed."""
    if _categories(turn, None):
        return False
    turn.reply(texts.NO_CATALOGUE)
    return True


def start(turn: Turn, *, proxy: bool = False) -> None:
    """Begin a report (or a proxy filing), keeping a deep-link grid if one was scanned."""
    if no_catalogue(turn):
        return
    set_state(turn.dialog, Step.CATEGORY, turn.u.now, {**_kept(turn), "back": [], "proxy": proxy})
    if proxy:
        _goto(turn, Step.PROXY_NAME, {}, push=False)
    else:
        _ask(turn, Step.CATEGORY)


def cancel(turn: Turn) -> None:
    """Leave the wizard, dropping what was typed."""
    set_state(turn.dialog, IDLE, turn.u.now, dict(_kept(turn)))
    turn.reply(texts.CANCELLED, keyboard="remove")


def leave(turn: Turn) -> None:
    """Drop an unfinished report without a word (the main menu was asked for)."""
    turn.dialog.state = IDLE
    turn.dialog.data = dict(_kept(turn))


def _data(turn: Turn) -> WizardData:
    return cast(WizardData, dict(turn.dialog.data or {}))


def _goto(turn: Turn, step: Step, changes: WizardData, push: bool = True) -> None:
    data = _data(turn)
    back = list(data.get("back", []))
    if push and turn.dialog.state in STATES:
        back.append(turn.dialog.state)
    data.update(changes)
    data["back"] = back
    set_state(turn.dialog, step, turn.u.now, dict(data))
    _ask(turn, step)


def _categories(turn: Turn, parent: str | None) -> list[Category]:
    return catalogue(turn.u.session).children(parent)


def _ask(turn: Turn, step: Step) -> None:
    """Send the question of a step with its buttons."""
    data = _data(turn)
    nav = (BACK, CANCEL) if data.get("back") else (CANCEL,)
    STEPS[step].ask(turn, data, nav)


def _ask_proxy_name(turn: Turn, data: WizardData, nav: Nav) -> None:
    turn.reply(texts.ASK_PROXY_NAME, (CANCEL,))


def _ask_proxy_source(turn: Turn, data: WizardData, nav: Nav) -> None:
    sources = tuple(Button(texts.SOURCE[s], WizardSource(s).pack()) for s in ProxySource)
    turn.reply(texts.ASK_PROXY_SOURCE, sources + nav)


def _category_buttons(turn: Turn, parent: str | None) -> Nav:
    return tuple(Button(c.name, WizardCategory(c.code).pack()) for c in _categories(turn, parent))


def _ask_category(turn: Turn, data: WizardData, nav: Nav) -> None:
    turn.reply(texts.ASK_CATEGORY, _category_buttons(turn, None) + nav)


def _ask_subcategory(turn: Turn, data: WizardData, nav: Nav) -> None:
    _ask_below(turn, data["top"], nav)


def _ask_subitem(turn: Turn, data: WizardData, nav: Nav) -> None:
    _ask_below(turn, data["item"], nav)


def _ask_below(turn: Turn, parent: str, nav: Nav) -> None:
    turn.reply(
        texts.ASK_SUBCATEGORY.format(parent=category_name(turn.u.session, parent)),
        _category_buttons(turn, parent) + nav,
    )


def _ask_description(turn: Turn, data: WizardData, nav: Nav) -> None:
    limits = turn.u.rules.limits
    turn.reply(
        texts.ASK_DESCRIPTION.format(
            category=category_name(turn.u.session, data["cat"]),
            min=limits.description_min,
            max=limits.description_max,
        ),
        nav,
    )


def _ask_photo(turn: Turn, data: WizardData, nav: Nav) -> None:
    turn.reply(texts.ASK_PHOTO, (SKIP, *nav))


def _ask_location(turn: Turn, data: WizardData, nav: Nav) -> None:
    hint = ""
    deeplink = data.get("deeplink")
    if deeplink and deeplink in turn.u.tree.by_id:
        hint = deeplink_hint(turn, deeplink) + "\n"
    turn.reply(hint + texts.ASK_LOCATION, nav, keyboard="location")


def _ask_community(turn: Turn, data: WizardData, nav: Nav) -> None:
    comms = turn.u.tree.level(AreaLevel.COMMUNITY)
    turn.reply(
        texts.ASK_COMMUNITY,
        tuple(Button(c.name, WizardCommunity(c.code).pack()) for c in comms) + nav,
        keyboard="remove",
    )


def _ask_grid_pick(turn: Turn, data: WizardData, nav: Nav) -> None:
    u = turn.u
    picks = [a for a in (u.tree.by_code(code) for code in data.get("picks", [])) if a is not None]
    turn.reply(
        texts.ASK_GRID_PICK.format(address=data.get("addr") or ""),
        (
            *(Button(area_label(u, a.id), WizardGrid(a.code).pack()) for a in picks),
            NONE_OF_THESE,
            *nav,
        ),
        keyboard="remove",
    )


def _ask_phone(turn: Turn, data: WizardData, nav: Nav) -> None:
    if data.get("proxy"):  # the staff member types the resident's number; their own is no use
        turn.reply(texts.ASK_PROXY_PHONE, (SKIP, *nav), keyboard="remove")
    else:
        turn.reply(texts.ASK_PHONE, (SKIP, *nav), keyboard="contact")


def _ask_confirm(turn: Turn, data: WizardData, nav: Nav) -> None:
    if duplicates.offer(turn):  # the same problem may be filed nearby already
        return
    turn.reply(texts.CONFIRM.format(summary=summary(turn)), (SUBMIT, BACK, CANCEL), keyboard="remove")


def deeplink_hint(turn: Turn, area_id: int) -> str:
    """Say which grid (or community) a scanned code filled in."""
    area = turn.u.tree.by_id[area_id]
    template = texts.LOCATION_HINT_GRID if area.level == AreaLevel.GRID else texts.LOCATION_HINT_COMMUNITY
    return template.format(grid=area_label(turn.u, area_id))


def summary(turn: Turn) -> str:
    """What the resident is about to submit, in lines."""
    u, data = turn.u, _data(turn)
    lines = []
    if data.get("proxy"):
        lines.append(
            texts.SUMMARY_PROXY.format(
                name=data.get("pname", ""), source=texts.SOURCE[data.get("psrc", "other")]
            )
        )
    lines.append(texts.SUMMARY_CATEGORY.format(category=category_name(u.session, data["cat"])))
    lines.append(texts.SUMMARY_DESCRIPTION.format(description=data["desc"]))
    if data.get("photo"):
        lines.append(texts.SUMMARY_PHOTO)
    if data.get("lat") is not None:
        lines.append(texts.SUMMARY_LOCATION.format(area=area_label(u, data["area"])))
    if data.get("addr"):
        lines.append(texts.SUMMARY_ADDRESS.format(address=data["addr"]))
        lines.append(texts.SUMMARY_AREA.format(area=area_label(u, data["area"])))
    if data.get("phone"):
        lines.append(texts.SUMMARY_PHONE.format(phone=data["phone"]))
    return "\n".join(lines)


def step(turn: Turn) -> None:
    """Take the resident's answer to the current step."""
    press = turn.button
    if press == WizardNav(WizardAction.CANCEL):
        cancel(turn)
        return
    if press == WizardNav(WizardAction.BACK):
        _back(turn)
        return
    if duplicates.pending(turn):  # the answer to the duplicate question
        return
    # 不留了 / 不用 / 算了 at an optional step means 跳过; 是的 / 确认 at the confirm step
    # submits; text right after the description continues it.
    state = turn.dialog.state
    _as_press(turn, forgiving.as_skip(turn.msg, state in (Step.PHOTO, Step.PHONE)))
    _as_press(turn, forgiving.as_submit(turn.msg, state == Step.CONFIRM))
    if forgiving.append(turn):
        return
    if turn.msg.other_file is not None:
        turn.reply(texts.PHOTO_ONLY)
        return
    STEPS[Step(turn.dialog.state)].on_answer(turn)


def _as_press(turn: Turn, msg: Inbound) -> None:
    """Take a message that forgiving reading turned into a tap as that tap (typed, like a real one)."""
    if msg is not turn.msg:
        turn.msg = msg
        turn.button = unpack(msg.payload) if msg.payload is not None else None


def _back(turn: Turn) -> None:
    data = _data(turn)
    back = list(data.get("back", []))
    if not back:
        _ask(turn, Step(turn.dialog.state))
        return
    previous = Step(back.pop())
    data["back"] = back
    set_state(turn.dialog, previous, turn.u.now, dict(data))
    _ask(turn, previous)


def _expect_button(turn: Turn, kind: type[P]) -> P | None:
    """The button of this step that was pressed, or None after telling the user."""
    if turn.msg.payload is None:
        turn.reply(texts.CHOICE_EXPECTED)
        return None
    if not isinstance(turn.button, kind):
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    return turn.button


def _pressed(turn: Turn, action: WizardAction) -> bool:
    return turn.button == WizardNav(action)


def _on_proxy_name(turn: Turn) -> None:
    if turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    name = clean(turn.msg.text)
    limit = turn.u.rules.limits.name_max
    if not name or len(name) > limit or "\n" in name:
        turn.reply(texts.NAME_INVALID.format(max=limit))
        return
    _goto(turn, Step.PROXY_SOURCE, {"pname": name})


def _on_proxy_source(turn: Turn) -> None:
    press = _expect_button(turn, WizardSource)
    if press is not None:
        _goto(turn, Step.CATEGORY, {"psrc": press.source.value})


def _on_category(turn: Turn) -> None:
    press = _expect_button(turn, WizardCategory)
    if press is None:
        return
    code, state, data = press.code, turn.dialog.state, _data(turn)
    parents = {Step.CATEGORY: None, Step.SUBCATEGORY: data.get("top"), Step.SUBITEM: data.get("item")}
    parent = parents[Step(state)]
    valid = {c.code for c in _categories(turn, parent)}
    if code not in valid:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    if state == Step.CATEGORY and _categories(turn, code):
        _goto(turn, Step.SUBCATEGORY, {"top": code})
    elif state == Step.SUBCATEGORY and _categories(turn, code):
        _goto(turn, Step.SUBITEM, {"item": code})
    else:
        # A description written before the wizard started is kept; no need to ask it.
        _goto(turn, Step.PHOTO if _data(turn).get("prefilled") else Step.DESCRIPTION, {"cat": code})


def _on_description(turn: Turn) -> None:
    if turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    limits = turn.u.rules.limits
    desc = clean(turn.msg.text)
    if not desc or not forgiving.has_words(desc):  # 😡😡😡 is not a description
        turn.reply(texts.DESCRIPTION_EMPTY)
    elif len(desc) < limits.description_min:
        turn.reply(texts.DESCRIPTION_SHORT.format(min=limits.description_min))
    elif len(desc) > limits.description_max:
        turn.reply(texts.DESCRIPTION_LONG.format(length=len(desc), max=limits.description_max))
    elif turn.msg.photo:  # a photo with a caption answers two steps at once
        _goto(turn, Step.LOCATION, {"desc": desc, "photo": turn.msg.photo, "desc_at": turn.u.now.isoformat()})
    else:
        _goto(turn, Step.PHOTO, {"desc": desc, "desc_at": turn.u.now.isoformat()})


def _on_photo(turn: Turn) -> None:
    if _pressed(turn, WizardAction.SKIP):
        _goto(turn, Step.LOCATION, {"photo": None})
    elif turn.msg.photo:
        _goto(turn, Step.LOCATION, {"photo": turn.msg.photo})
    elif turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
    else:
        turn.reply(texts.PHOTO_EXPECTED, (SKIP, BACK, CANCEL))


def _on_location(turn: Turn) -> None:
    u, msg, data = turn.u, turn.msg, _data(turn)
    if msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    deeplink = data.get("deeplink")
    if deeplink is not None and deeplink not in u.tree.by_id:
        deeplink = None
    if msg.location is not None:
        lat, lon = msg.location
        route = u.tree.router.route_point(lat, lon, msg.datum, u.rules.nearest_grid_km)
        area = route.area_id if route.area_id is not None else deeplink
        changes: WizardData = {"lat": lat, "lon": lon, "datum": msg.datum, "addr": None}
        if area is not None and area in u.tree.by_id:
            _goto(turn, Step.PHONE, {**changes, "area": area})
        else:
            if route.how == How.OUTSIDE:
                turn.reply(texts.OUT_OF_AREA.format(subdistrict=u.tree.top().name))
            _goto(turn, Step.COMMUNITY, changes)
        return
    address = clean(msg.text).replace("\n", " ")
    if not address:
        turn.reply(texts.ASK_LOCATION, (BACK, CANCEL), keyboard="location")
        return
    if len(address) > u.rules.limits.address_max:
        turn.reply(texts.ADDRESS_LONG.format(max=u.rules.limits.address_max))
        return
    typed: WizardData = {"addr": address, "lat": None, "lon": None}
    if deeplink is not None:
        _goto(turn, Step.PHONE, {**typed, "area": deeplink})
        return
    match = u.tree.router.match_address(address)
    found = [u.tree.by_id[a].code for a in match.area_ids if a in u.tree.by_id]
    if len(found) == 1 and match.kind == MatchKind.ONE:
        _goto(turn, Step.PHONE, {**typed, "area": match.area_ids[0]})
    elif found:
        _goto(turn, Step.GRID_PICK, {**typed, "picks": found})
    else:
        _goto(turn, Step.COMMUNITY, typed)


def _on_grid_pick(turn: Turn) -> None:
    if _pressed(turn, WizardAction.NONE_OF_THESE):
        _goto(turn, Step.COMMUNITY, {})
        return
    press = _expect_button(turn, WizardGrid)
    if press is None:
        return
    area = turn.u.tree.by_code(press.code)
    if area is None or press.code not in _data(turn).get("picks", []):
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    _goto(turn, Step.PHONE, {"area": area.id})


def _on_community(turn: Turn) -> None:
    press = _expect_button(turn, WizardCommunity)
    if press is None:
        return
    area = turn.u.tree.by_code(press.code)
    if area is None or area.level != AreaLevel.COMMUNITY:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    _goto(turn, Step.PHONE, {"area": area.id})


def _on_phone(turn: Turn) -> None:
    msg = turn.msg
    if _pressed(turn, WizardAction.SKIP):
        _goto(turn, Step.CONFIRM, {"phone": None})
        return
    if msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    phone = parse_phone(msg.contact or msg.text)
    if phone is None:
        turn.reply(texts.PHONE_INVALID, (SKIP, BACK, CANCEL))
        return
    _goto(turn, Step.CONFIRM, {"phone": phone})


def _on_confirm(turn: Turn) -> None:
    if _pressed(turn, WizardAction.SUBMIT):
        submit(turn)
    elif turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
    else:
        turn.reply(texts.CONFIRM_EXPECTED, (SUBMIT, BACK, CANCEL))


def submit(turn: Turn) -> None:
    """File the ticket and tell the resident its number and deadline tier."""
    u, data = turn.u, _data(turn)
    if "cat" not in data or "desc" not in data or "area" not in data:
        raise BadInput(texts.CHOICE_EXPECTED)
    proxy = bool(data.get("proxy"))
    draft = tickets.Draft(
        category_code=data["cat"],
        description=data["desc"],
        area_id=int(data["area"]),
        photo=data.get("photo"),
        lat=data.get("lat"),
        lon=data.get("lon"),
        datum=data.get("datum", "wgs84"),
        address=data.get("addr"),
        phone=data.get("phone"),
        source=data.get("psrc", "other") if proxy else "self",
        contact_name=data.get("pname") if proxy else None,
    )
    # For a proxy filing the staff member is recorded as the resident of record, so the
    # notices reach someone who can pass them on; the real resident's name is on the ticket.
    ticket = tickets.create(u, turn.person, draft, filed_by=turn.person if proxy else None)
    # The scanned grid was for this report; the next one may be elsewhere.
    set_state(turn.dialog, IDLE, u.now, {})
    if proxy:
        turn.reply(
            texts.SUBMITTED_PROXY.format(
                name=draft.contact_name, id=ticket.id, source=texts.SOURCE[draft.source]
            )
        )
    else:
        turn.reply(
            texts.SUBMITTED.format(
                id=ticket.id,
                category=category_name(u.session, ticket.category_code),
                tier=texts.TIER[ticket.tier],
                handed=_handed_to(u, ticket),
            )
            + web.progress_line(u, ticket)
        )
    post_card(u, ticket)
    urgent.alert_if_urgent(u, ticket)


def _handed_to(u: Unit, ticket: Ticket) -> str:
    """已转交 四季社区 第一网格 的网格员; a community or department ticket is handed to the area itself."""
    key = "grid" if u.tree.by_id[ticket.area_id].level == AreaLevel.GRID else "other"
    return texts.SUBMITTED_TO[key].format(area=area_label(u, ticket.area_id))


COMMANDS: dict[str, Command] = {"report": report}
ALIASES = {"反映问题": "report", "我要反映": "report", "报事": "report"}
# /cancel leaves the wizard from any step.
CANCELS: dict[str, Callable[[Turn], None]] = {s.value: cancel for s in Step}
STEPS: dict[Step, StepSpec] = {
    Step.PROXY_NAME: StepSpec(_ask_proxy_name, _on_proxy_name),
    Step.PROXY_SOURCE: StepSpec(_ask_proxy_source, _on_proxy_source),
    Step.CATEGORY: StepSpec(_ask_category, _on_category),
    Step.SUBCATEGORY: StepSpec(_ask_subcategory, _on_category),
    Step.SUBITEM: StepSpec(_ask_subitem, _on_category),
    Step.DESCRIPTION: StepSpec(_ask_description, _on_description),
    Step.PHOTO: StepSpec(_ask_photo, _on_photo),
    Step.LOCATION: StepSpec(_ask_location, _on_location),
    Step.COMMUNITY: StepSpec(_ask_community, _on_community),
    Step.GRID_PICK: StepSpec(_ask_grid_pick, _on_grid_pick),
    Step.PHONE: StepSpec(_ask_phone, _on_phone),
    Step.CONFIRM: StepSpec(_ask_confirm, _on_confirm),
}


# Public names for the steps other modules start (handlers/intake.py).
ask = _ask
goto = _goto
