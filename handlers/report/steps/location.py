"""Where: a shared point or a typed address; else the grid among those it names, else the community."""

from __future__ import annotations

from models.datafiles.addresses import MatchKind
from models.messages import Button
from models.routing import How
from models.tables import AreaLevel

from ... import texts, understand
from ...payloads import WizardAction, WizardCommunity, WizardGrid
from ...render import area_label
from ...states import Step
from ...textclean import clean
from ...turn import Turn
from ..draft import (
    BACK,
    CANCEL,
    NONE_OF_THESE,
    Go,
    Nav,
    WizardData,
    data,
    deeplink_hint,
    expect_button,
    office_keywords,
    pressed,
)


def ask(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask for the location, saying which grid a scanned code filled in."""
    hint = ""
    deeplink = data.get("deeplink")
    if deeplink and deeplink in turn.u.tree.by_id:
        hint = deeplink_hint(turn, deeplink) + "\n"
    turn.reply(hint + texts.ASK_LOCATION, nav, keyboard="location")


def on_location(turn: Turn) -> Go | None:
    """Place a shared point or a typed address (a scanned code's area wins when nothing else does)."""
    u, msg, d = turn.u, turn.msg, data(turn)
    if msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    deeplink = d.get("deeplink")
    if deeplink is not None and deeplink not in u.tree.by_id:
        deeplink = None
    if msg.location is not None:
        lat, lon = msg.location
        route = u.tree.router.route_point(lat, lon, msg.datum, u.rules.nearest_grid_km)
        area = route.area_id if route.area_id is not None else deeplink
        changes: WizardData = {"lat": lat, "lon": lon, "datum": msg.datum, "addr": None}
        if area is not None and area in u.tree.by_id:
            return Go(Step.PHONE, {**changes, "area": area})
        if route.how == How.OUTSIDE:
            turn.reply(texts.OUT_OF_AREA.format(subdistrict=u.tree.top().name))
        return Go(Step.COMMUNITY, changes)
    address = clean(msg.text).replace("\n", " ")
    if not address:
        turn.reply(texts.ASK_LOCATION, (BACK, CANCEL), keyboard="location")
        return None
    if len(address) > u.rules.limits.address_max:
        turn.reply(texts.ADDRESS_LONG.format(max=u.rules.limits.address_max))
        return None
    typed: WizardData = {"addr": address, "lat": None, "lon": None}
    if deeplink is not None:
        return Go(Step.PHONE, {**typed, "area": deeplink})
    match = u.tree.router.match_address(address)
    found = [u.tree.by_id[a].code for a in match.area_ids if a in u.tree.by_id]
    if len(found) == 1 and match.kind == MatchKind.ONE:
        return Go(Step.PHONE, {**typed, "area": match.area_ids[0]})
    if found:
        return Go(Step.GRID_PICK, {**typed, "picks": found})
    return Go(Step.COMMUNITY, typed)


def complaint_goes_on(turn: Turn, data: WizardData) -> bool:
    """Typed text here is the address, unless it comes right after the description and complains on."""
    back = data.get("back") or []
    return (
        bool(back)
        and back[-1] == Step.DESCRIPTION
        and understand.reader().intent(turn.msg.text, office_keywords(turn)).intent == "problem"
    )


def ask_grid(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask which of the grids a typed address names."""
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


def on_grid(turn: Turn) -> Go | None:
    """Take the grid picked (or 都不是: the community is asked)."""
    if pressed(turn, WizardAction.NONE_OF_THESE):
        return Go(Step.COMMUNITY, {})
    press = expect_button(turn, WizardGrid)
    if press is None:
        return None
    area = turn.u.tree.by_code(press.code)
    if area is None or press.code not in data(turn).get("picks", []):
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    return Go(Step.PHONE, {"area": area.id})


def ask_community(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask the community."""
    comms = turn.u.tree.level(AreaLevel.COMMUNITY)
    turn.reply(
        texts.ASK_COMMUNITY,
        tuple(Button(c.name, WizardCommunity(c.code).pack()) for c in comms) + nav,
        keyboard="remove",
    )


def on_community(turn: Turn) -> Go | None:
    """Take the community tapped."""
    press = expect_button(turn, WizardCommunity)
    if press is None:
        return None
    area = turn.u.tree.by_code(press.code)
    if area is None or area.level != AreaLevel.COMMUNITY:
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    return Go(Step.PHONE, {"area": area.id})
