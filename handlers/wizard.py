"""The report wizard: category, description, photo, location, phone, confirm."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from handlers import texts
from models import tickets
from models.dialogs import set_state
from models.errors import BadInput
from models.messages import Button
from models.notify import area_label, post_card
from models.refdata import catalogue
from models.render import category_name
from models.tables import AreaLevel, Category

from . import duplicates, forgiving
from .textclean import clean, parse_phone
from .turn import Turn


class Step(StrEnum):
    """Named wizard states, stored in the dialog row."""

    PROXY_NAME = "proxy_name"
    PROXY_SOURCE = "proxy_source"
    CATEGORY = "category"
    SUBCATEGORY = "subcategory"
    DESCRIPTION = "description"
    PHOTO = "photo"
    LOCATION = "location"
    COMMUNITY = "community"
    PHONE = "phone"
    CONFIRM = "confirm"


STEPS = {s.value for s in Step}
BACK = Button(texts.BTN_BACK, "wz:back")
CANCEL = Button(texts.BTN_CANCEL, "wz:cancel")
SKIP = Button(texts.BTN_SKIP, "wz:skip")
PROXY_SOURCES = ("visit", "phone", "walkin", "other")


def in_wizard(turn: Turn) -> bool:
    """Tell whether this chat is in the middle of a report."""
    return turn.dialog.state in STEPS


def start(turn: Turn, *, proxy: bool = False) -> None:
    """Begin a report (or a proxy filing), keeping a deep-link grid if one was scanned."""
    keep = {k: v for k, v in (turn.dialog.data or {}).items() if k == "deeplink"}
    set_state(turn.dialog, Step.CATEGORY, turn.u.now, {**keep, "back": [], "proxy": proxy})
    if proxy:
        _goto(turn, Step.PROXY_NAME, push=False)
    else:
        _ask(turn, Step.CATEGORY)


def cancel(turn: Turn) -> None:
    """Leave the wizard, dropping what was typed."""
    keep = {k: v for k, v in (turn.dialog.data or {}).items() if k == "deeplink"}
    set_state(turn.dialog, "idle", turn.u.now, keep)
    turn.reply(texts.CANCELLED, keyboard="remove")


def _data(turn: Turn) -> dict[str, Any]:
    return dict(turn.dialog.data or {})


def _goto(turn: Turn, step: Step, push: bool = True, **changes: Any) -> None:
    data = _data(turn)
    back = list(data.get("back", []))
    if push and turn.dialog.state in STEPS:
        back.append(turn.dialog.state)
    data.update(changes, back=back)
    set_state(turn.dialog, step, turn.u.now, data)
    _ask(turn, step)


def _categories(turn: Turn, parent: str | None) -> list[Category]:
    return catalogue(turn.u.session).children(parent)


def _ask(turn: Turn, step: Step) -> None:
    """Send the question of a step with its buttons."""
    u, data = turn.u, _data(turn)
    limits = u.rules.limits
    nav = (BACK, CANCEL) if data.get("back") else (CANCEL,)
    if step == Step.PROXY_NAME:
        turn.reply(texts.ASK_PROXY_NAME, (CANCEL,))
    elif step == Step.PROXY_SOURCE:
        turn.reply(
            texts.ASK_PROXY_SOURCE, tuple(Button(texts.SOURCE[s], f"wz:src:{s}") for s in PROXY_SOURCES) + nav
        )
    elif step == Step.CATEGORY:
        cats = _categories(turn, None)
        turn.reply(texts.ASK_CATEGORY, tuple(Button(c.name, f"wz:cat:{c.code}") for c in cats) + nav)
    elif step == Step.SUBCATEGORY:
        parent = data["top"]
        cats = _categories(turn, parent)
        turn.reply(
            texts.ASK_SUBCATEGORY.format(parent=category_name(u.session, parent)),
            tuple(Button(c.name, f"wz:cat:{c.code}") for c in cats) + nav,
        )
    elif step == Step.DESCRIPTION:
        turn.reply(
            texts.ASK_DESCRIPTION.format(
                category=category_name(u.session, data["cat"]),
                min=limits.description_min,
                max=limits.description_max,
            ),
            nav,
        )
    elif step == Step.PHOTO:
        turn.reply(texts.ASK_PHOTO, (SKIP, *nav))
    elif step == Step.LOCATION:
        hint = ""
        if data.get("deeplink") and data["deeplink"] in u.tree.by_id:
            hint = deeplink_hint(turn, data["deeplink"]) + "\n"
        turn.reply(hint + texts.ASK_LOCATION, nav, keyboard="location")
    elif step == Step.COMMUNITY:
        comms = u.tree.level(AreaLevel.COMMUNITY)
        turn.reply(
            texts.ASK_COMMUNITY,
            tuple(Button(c.name, f"wz:comm:{c.code}") for c in comms) + nav,
            keyboard="remove",
        )
    elif step == Step.PHONE:
        turn.reply(texts.ASK_PHONE, (SKIP, *nav), keyboard="contact")
    elif step == Step.CONFIRM:
        if duplicates.offer(turn):  # issue 12 hook: the same problem may be filed nearby already
            return
        turn.reply(
            texts.CONFIRM.format(summary=summary(turn)),
            (Button(texts.BTN_SUBMIT, "wz:submit"), BACK, CANCEL),
            keyboard="remove",
        )


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
    msg, payload = turn.msg, turn.msg.payload
    if payload == "wz:cancel":
        cancel(turn)
        return
    if payload == "wz:back":
        _back(turn)
        return
    if payload is not None and not payload.startswith("wz:"):
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    if duplicates.pending(turn):  # issue 12 hook: the answer to the duplicate question
        return
    # Issue 12 hooks: 不留了 / 不用 / 算了 at an optional step means 跳过; text right after the
    # description continues it.
    turn.msg = msg = forgiving.as_skip(msg, turn.dialog.state in (Step.PHOTO, Step.PHONE))
    turn.msg = msg = forgiving.as_submit(msg, turn.dialog.state == Step.CONFIRM)
    if forgiving.append(turn):
        return
    handler = _STEP_HANDLERS[Step(turn.dialog.state)]
    if msg.other_file is not None:
        turn.reply(texts.PHOTO_ONLY)
        return
    handler(turn)


def _back(turn: Turn) -> None:
    data = _data(turn)
    back = list(data.get("back", []))
    if not back:
        _ask(turn, Step(turn.dialog.state))
        return
    previous = Step(back.pop())
    data["back"] = back
    set_state(turn.dialog, previous, turn.u.now, data)
    _ask(turn, previous)


def _expect_button(turn: Turn, prefix: str) -> str | None:
    """The value of a wizard button of this step, or None after telling the user."""
    payload = turn.msg.payload
    if payload is None:
        turn.reply(texts.CHOICE_EXPECTED)
        return None
    if not payload.startswith(prefix):
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    return payload[len(prefix) :]


def _on_proxy_name(turn: Turn) -> None:
    if turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    name = clean(turn.msg.text)
    limit = turn.u.rules.limits.name_max
    if not name or len(name) > limit or "\n" in name:
        turn.reply(texts.NAME_INVALID.format(max=limit))
        return
    _goto(turn, Step.PROXY_SOURCE, pname=name)


def _on_proxy_source(turn: Turn) -> None:
    value = _expect_button(turn, "wz:src:")
    if value is None:
        return
    if value not in PROXY_SOURCES:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    _goto(turn, Step.CATEGORY, psrc=value)


def _on_category(turn: Turn) -> None:
    code = _expect_button(turn, "wz:cat:")
    if code is None:
        return
    parent = None if turn.dialog.state == Step.CATEGORY else _data(turn).get("top")
    valid = {c.code for c in _categories(turn, parent)}
    if code not in valid:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    if turn.dialog.state == Step.CATEGORY and _categories(turn, code):
        _goto(turn, Step.SUBCATEGORY, top=code)
    else:
        # Issue 12 hook: a description written before the wizard started is kept; no need to ask it.
        _goto(turn, Step.PHOTO if _data(turn).get("prefilled") else Step.DESCRIPTION, cat=code)


def _on_description(turn: Turn) -> None:
    if turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    limits = turn.u.rules.limits
    desc = clean(turn.msg.text)
    if not desc or not forgiving.has_words(desc):  # issue 12 hook: 😡😡😡 is not a description
        turn.reply(texts.DESCRIPTION_EMPTY)
    elif len(desc) < limits.description_min:
        turn.reply(texts.DESCRIPTION_SHORT.format(min=limits.description_min))
    elif len(desc) > limits.description_max:
        turn.reply(texts.DESCRIPTION_LONG.format(length=len(desc), max=limits.description_max))
    else:
        extra: dict[str, Any] = {"photo": turn.msg.photo} if turn.msg.photo else {}
        extra["desc_at"] = turn.u.now.isoformat()  # issue 12: what follows within 2 minutes is added
        _goto(turn, Step.PHOTO if "photo" not in extra else Step.LOCATION, desc=desc, **extra)


def _on_photo(turn: Turn) -> None:
    if turn.msg.payload == "wz:skip":
        _goto(turn, Step.LOCATION, photo=None)
    elif turn.msg.photo:
        _goto(turn, Step.LOCATION, photo=turn.msg.photo)
    elif turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
    else:
        turn.reply(texts.PHOTO_EXPECTED, (SKIP, BACK, CANCEL))


def _on_location(turn: Turn) -> None:
    u, msg, data = turn.u, turn.msg, _data(turn)
    if msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    if msg.location is not None:
        lat, lon = msg.location
        grid = u.tree.nearest_grid(lat, lon, u.rules.nearest_grid_km)
        area = grid.id if grid else data.get("deeplink")
        changes: dict[str, Any] = {"lat": lat, "lon": lon, "addr": None}
        if area is not None and area in u.tree.by_id:
            _goto(turn, Step.PHONE, area=area, **changes)
        else:
            _goto(turn, Step.COMMUNITY, **changes)
        return
    address = clean(msg.text).replace("\n", " ")
    if not address:
        turn.reply(texts.ASK_LOCATION, (BACK, CANCEL), keyboard="location")
        return
    if len(address) > u.rules.limits.address_max:
        turn.reply(texts.ADDRESS_LONG.format(max=u.rules.limits.address_max))
        return
    deeplink = data.get("deeplink")
    if deeplink is not None and deeplink in u.tree.by_id:
        _goto(turn, Step.PHONE, addr=address, lat=None, lon=None, area=deeplink)
    else:
        _goto(turn, Step.COMMUNITY, addr=address, lat=None, lon=None)


def _on_community(turn: Turn) -> None:
    code = _expect_button(turn, "wz:comm:")
    if code is None:
        return
    area = turn.u.tree.by_code(code)
    if area is None or area.level != AreaLevel.COMMUNITY:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    _goto(turn, Step.PHONE, area=area.id)


def _on_phone(turn: Turn) -> None:
    msg = turn.msg
    if msg.payload == "wz:skip":
        _goto(turn, Step.CONFIRM, phone=None)
        return
    if msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    phone = parse_phone(msg.contact or msg.text)
    if phone is None:
        turn.reply(texts.PHONE_INVALID, (SKIP, BACK, CANCEL))
        return
    _goto(turn, Step.CONFIRM, phone=phone)


def _on_confirm(turn: Turn) -> None:
    if turn.msg.payload != "wz:submit":
        if turn.msg.payload is not None:
            turn.refuse(texts.BUTTON_EXPIRED)
        else:
            turn.reply(texts.CONFIRM_EXPECTED, (Button(texts.BTN_SUBMIT, "wz:submit"), BACK, CANCEL))
        return
    submit(turn)


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
        address=data.get("addr"),
        phone=data.get("phone"),
        source=data.get("psrc", "other") if proxy else "self",
        contact_name=data.get("pname") if proxy else None,
    )
    # For a proxy filing the staff member is recorded as the resident of record, so the
    # notices reach someone who can pass them on; the real resident's name is on the ticket.
    ticket = tickets.create(u, turn.person, draft, filed_by=turn.person if proxy else None)
    # The scanned grid was for this report; the next one may be elsewhere.
    set_state(turn.dialog, "idle", u.now, {})
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
                area=area_label(u, ticket.area_id),
            )
        )
    post_card(u, ticket)


_STEP_HANDLERS = {
    Step.PROXY_NAME: _on_proxy_name,
    Step.PROXY_SOURCE: _on_proxy_source,
    Step.CATEGORY: _on_category,
    Step.SUBCATEGORY: _on_category,
    Step.DESCRIPTION: _on_description,
    Step.PHOTO: _on_photo,
    Step.LOCATION: _on_location,
    Step.COMMUNITY: _on_community,
    Step.PHONE: _on_phone,
    Step.CONFIRM: _on_confirm,
}


# Issue 12: public names for the steps other modules start (handlers/intake.py).
ask = _ask
goto = _goto
