"""Typed button payloads: every kind packs and unpacks to itself, and a forged one is refused everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from handlers import texts
from handlers.payloads import (
    DuplicateAction,
    FollowerSatisfied,
    FollowerSolved,
    FollowupSatisfied,
    FollowupSolved,
    Grab,
    Menu,
    MenuAction,
    Payload,
    PayloadError,
    ProxySource,
    WizardAction,
    WizardCategory,
    WizardCommunity,
    WizardDuplicate,
    WizardGrid,
    WizardNav,
    WizardSource,
    unpack,
)
from models.tables import Dialog, Outbox, Ticket, TicketEvent

from .harness import Harness
from .tgfake import Tg, report, setup_grid

# Today's wire format, as the buttons already sent to people's chats carry it.
WIRE: list[tuple[str, Payload]] = [
    ("menu:report", Menu(MenuAction.REPORT)),
    ("menu:help", Menu(MenuAction.HELP)),
    ("wz:back", WizardNav(WizardAction.BACK)),
    ("wz:submit", WizardNav(WizardAction.SUBMIT)),
    ("wz:src:walkin", WizardSource(ProxySource.WALKIN)),
    ("wz:cat:road", WizardCategory("road")),
    ("wz:cat:人行道井盖", WizardCategory("人行道井盖")),
    ("wz:comm:siji", WizardCommunity("siji")),
    ("wz:grid:east-2", WizardGrid("east-2")),
    ("wz:none", WizardNav(WizardAction.NONE_OF_THESE)),
    ("grab:12", Grab(12)),
    ("fu1:7:y", FollowupSolved(7, True)),
    ("fu2:7:n", FollowupSatisfied(7, False)),
    # A follower's own 双是, the duplicate question, continue-or-restart, 都不是.
    ("ff1:7:y", FollowerSolved(7, True)),
    ("ff2:7:n", FollowerSatisfied(7, False)),
    ("wz:dup:follow", WizardDuplicate(DuplicateAction.FOLLOW)),
    ("wz:dup:new", WizardDuplicate(DuplicateAction.NEW)),
    ("wz:resume", WizardNav(WizardAction.RESUME)),
    ("wz:restart", WizardNav(WizardAction.RESTART)),
    ("wz:cat:none", WizardCategory("none")),
]

# Payloads no button of ours carries: each a different way of being wrong.
FORGED = [
    "",
    "xyz",
    "menu",
    "menu:",
    "menu:report:x",
    "menu:REPORT",
    "wz:",
    "wz:jump",
    "wz:cat:",
    "wz:cat:a:b",
    "wz:cat:two words",
    "wz:src:hacker",
    "wz:grid:",
    "wz:grid:two words",
    "grab:",
    "grab:0",
    "grab:012",
    "grab:-1",
    "grab:+1",
    "grab:1e3",
    "grab:１２",
    "grab:1234567890123",
    "grab:1:2",
    "fu1:1",
    "fu1:1:x",
    "fu1:1:Y",
    "fu1:x:y",
    "fu3:1:y",
    "fu1:1:y:",
    "ff1:1",
    "ff1:1:x",
    "ff2:x:y",
    "ff3:1:y",
    "wz:dup:",
    "wz:dup:maybe",
    "wz:dup:follow:1",
]


@pytest.mark.parametrize(("wire", "payload"), WIRE, ids=[w for w, _ in WIRE])
def test_todays_wire_format_round_trips(wire: str, payload: Payload) -> None:
    """Each payload packs to the string buttons carry today, and that string unpacks to it."""
    assert payload.pack() == wire
    assert unpack(wire) == payload
    assert type(payload).unpack(wire) == payload


@pytest.mark.parametrize("forged", FORGED)
def test_forged_payloads_are_refused_with_a_reason(forged: str) -> None:
    """unpack() refuses anything our buttons do not carry, saying what is wrong."""
    with pytest.raises(PayloadError) as caught:
        unpack(forged)
    assert str(caught.value)


def test_a_kind_refuses_another_kinds_payload() -> None:
    """Grab.unpack does not read a follow-up answer, nor the wizard's own buttons a category."""
    with pytest.raises(PayloadError, match="does not start with 'grab:'"):
        Grab.unpack("fu1:1:y")
    with pytest.raises(PayloadError, match="expected 1 field"):
        WizardNav.unpack("wz:cat:road")


def test_pack_refuses_what_could_not_be_read_back() -> None:
    """A code holding the separator (or nothing) cannot become a payload."""
    for code in ("a:b", ""):
        with pytest.raises(ValueError, match="empty or holds"):
            WizardCategory(code).pack()


def _state(h: Harness) -> tuple[Any, ...]:
    def read(s: Any) -> tuple[Any, ...]:
        dialogs = sorted((d.user_id, d.state, str(d.data)) for d in s.scalars(select(Dialog)))
        statuses = sorted((t.id, t.status, t.handler_id) for t in s.scalars(select(Ticket)))
        return (
            dialogs,
            statuses,
            s.scalar(select(func.count()).select_from(TicketEvent)),
            s.scalar(select(func.count()).select_from(Outbox)),
        )

    return h.query(read)  # type: ignore[no-any-return]


async def test_forged_payloads_through_the_console_change_nothing(h: Harness) -> None:
    """In the wizard and outside it, a forged tap is answered 'button expired' and nothing moves."""
    tid = await h.quick_claimed()
    await h.say(f"w1: 办结 {tid} 已修复")
    await h.run("r1: /my", "r2: /report", "r2: [tap 其他]")
    before = _state(h)
    for user in ("r1", "r2", "w1"):
        for forged in FORGED:
            result, out = await h.send(user, payload=forged)
            assert (result.alert, out) == (texts.BUTTON_EXPIRED, []), (user, forged)
    assert _state(h) == before
    assert h.ticket(tid).status == "resolved"


async def test_forged_callback_data_through_telegram_changes_nothing(tg: Tg) -> None:
    """A Telegram client sending made-up callback data gets the 'expired' pop-up and no change."""
    c = await setup_grid(tg)
    await report(tg, c.r1)
    message, _ = tg.api.button(c.group["id"], texts.BTN_GRAB)

    def state(s: Any) -> tuple[Any, ...]:
        return (
            sorted((t.id, t.status, t.handler_id) for t in s.scalars(select(Ticket))),
            s.scalar(select(func.count()).select_from(TicketEvent)),
            s.scalar(select(func.count()).select_from(Outbox)),
        )

    before = tg.query(state)
    answered = len(tg.api.of("answerCallbackQuery"))
    for forged in ("grab:1:2", "grab:01", "fu1:1:x", "wz:cat:a:b", "menu:zzz", "x"):
        await tg.send(tg.u.callback(c.w1, message, forged))
    answers = tg.api.of("answerCallbackQuery")[answered:]
    assert [a.get("text") for a in answers] == [texts.BUTTON_EXPIRED] * 6
    assert tg.query(state) == before
