"""The filer, the handler and an admin cannot answer the 双是 of their own work anywhere.

Each channel is tried the way its people can answer: the console and Telegram by buttons (forged
ones included: the payloads are the chat's to send) and by typed words; WeChat by typed words and
option numbers. The ticket set-up uses the domain operations the chat flows call (their subject is
tested elsewhere); every answer goes through the channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.app import App
from handlers import texts
from models import tickets
from models.people import get_or_create_person
from models.tables import Person, PointsEntry, Ticket, TicketEvent

from .harness import Harness
from .tgfake import Tg, setup_grid
from .wxfake import WxEnv, openid

pytestmark = pytest.mark.usefixtures("group_privacy")


@dataclass(frozen=True)
class Case:
    """Who files (for whom), who handles and resolves, who tries to answer."""

    name: str
    proxy: bool  # filed as 代办 by `filer` (else `filer` is the resident himself)
    filer: str
    handler: str
    resolver: str  # the handler himself, or an admin resolving on his behalf
    tries: str


CASES = [
    Case("filer of a 代办", True, "w2", "w1", "w1", "w2"),
    Case("handler", False, "r1", "w1", "w1", "w1"),
    Case("admin who resolved on behalf", True, "w2", "w1", "admin", "admin"),
    Case("admin who filed a 代办", True, "admin", "w1", "w1", "admin"),
]


def file_and_resolve(app: App, channel: str, ids: dict[str, str], case: Case) -> int:
    """File the ticket (a 代办 or a resident's), let the handler grab it and the resolver resolve it."""

    def write(s: Session) -> int:
        u = app.unit(s)

        def person(who: str) -> Person:
            ext = ids[who]
            return get_or_create_person(s, channel, ext, u.now, name=who, handle=who, chat_id=ext)

        area = u.tree.by_code("siji-1")
        assert area is not None
        draft = tickets.Draft(
            category_code="road",
            description="春晗路12号人行道破损",
            area_id=area.id,
            phone="13700137000",
            source="phone" if case.proxy else "self",
            contact_name="李大爷" if case.proxy else None,
        )
        filer = person(case.filer)
        ticket = tickets.create(u, filer, draft, filed_by=filer if case.proxy else None)
        tickets.grab(u, ticket.id, person(case.handler))
        tickets.resolve(u, ticket.id, person(case.resolver), "已修复")
        return ticket.id

    return int(app.db.run_sync(write))


def unanswered(app: App, ticket_id: int) -> tuple[Any, ...]:
    """What an answer would change: status, stage, rating, follow-up events, ledger rows."""

    def read(s: Session) -> tuple[Any, ...]:
        t = s.get(Ticket, ticket_id)
        assert t is not None
        kinds = ("confirmed_resolved", "closed", "reopened", "phone_followup")
        events = s.scalar(
            select(func.count()).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind.in_(kinds))
        )
        points = s.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.reason != "grab"))
        return (t.status, t.followup_stage, t.rating, events, points)

    return tuple(app.db.run_sync(read))


RESOLVED = ("resolved", 1, None, 0, 0)


def refusal(case: Case, ticket_id: int, kind: str) -> str:
    """What the case's person is told when pressing a resident's (fu) or a phone (pfu) 是."""
    if kind == "fu":  # the resident's own button: only the resident of record may press it
        own = case.tries == case.filer
        return texts.SELF_RATING.format(id=ticket_id) if own else texts.NOT_FOUND.format(id=ticket_id)
    if case.tries != "admin":
        return texts.NOT_ADMIN
    return texts.SELF_RATING.format(id=ticket_id)


# --- the console ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_console(h: Harness, case: Case) -> None:
    """Buttons (forged), typed 是 and 满意, /status: nobody rates their own work on the console."""
    await h.quick_grid()
    await h.run("c1: 你好", "admin: /grant c1 admin siji")  # another admin to phone the resident
    tid = file_and_resolve(h.app, "console", {k: k for k in ("r1", "w1", "w2", "admin")}, case)
    await h.app.sender.flush()
    for kind in ("fu", "pfu"):
        for stage in (1, 2):
            result, out = await h.send(case.tries, payload=f"{kind}{stage}:{tid}:y")
            assert (result.alert, out) == (refusal(case, tid, kind), []), (kind, stage)
    for typed in ("是", "满意", "你好"):
        out = await h.say(f"{case.tries}: {typed}")
        assert all(m["buttons"] == [] or texts.BTN_YES not in m["buttons"] for m in out), typed
        if case.tries == case.filer and typed == "是":  # the answer owed now (满意 comes after 是)
            assert h.to(case.tries, out) == [texts.SELF_RATING.format(id=tid)], typed
    out = await h.say(f"{case.tries}: /status {tid}")
    assert [m["buttons"] for m in out if m["chat"] == case.tries] in ([[]], [[], []])
    assert unanswered(h.app, tid) == RESOLVED
    if case.proxy:  # the resident is phoned by an admin who did not file, handle or resolve it
        assert h.to("c1")[-1].startswith(f"请电话回访 #{tid}（李大爷 13700137000）")
        if case.tries == "admin":
            assert not any(t.startswith(f"请电话回访 #{tid}") for t in h.to("admin"))
        await h.run("c1: [tap 是]", "c1: [tap 满意]")
        assert h.ticket(tid).rating == "double_yes"


# --- Telegram ---------------------------------------------------------------------------------


def newest(tg: Tg, chat_id: int) -> dict[str, Any]:
    """The newest message the bot sent to a chat (a forged press is made on it)."""
    found = [m for (chat, _), m in tg.api.messages.items() if chat == str(chat_id)]
    return max(found, key=lambda m: int(m["message_id"]))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_telegram(tg: Tg, case: Case) -> None:
    """Forged presses answer with the refusal; typed 是 and 满意 change nothing either."""
    c = await setup_grid(tg)
    who = {"r1": c.r1, "w1": c.w1, "w2": c.w2, "admin": c.admin}
    await tg.send(tg.u.text(c.r1, "/start"))
    tid = file_and_resolve(tg.app, "telegram", {k: str(v["id"]) for k, v in who.items()}, case)
    await tg.app.sender.flush()
    user = who[case.tries]
    for kind in ("fu", "pfu"):
        for stage in (1, 2):
            before = len(tg.api.of("answerCallbackQuery"))
            await tg.send(tg.u.callback(user, newest(tg, user["id"]), f"{kind}{stage}:{tid}:y"))
            answered = tg.api.of("answerCallbackQuery")[before:]
            assert [a.get("text") for a in answered] == [refusal(case, tid, kind)], (kind, stage)
    for typed in ("是", "满意"):
        await tg.send(tg.u.text(user, typed))
        if case.tries == case.filer and typed == "是":
            assert tg.api.texts(user["id"])[-1] == texts.SELF_RATING.format(id=tid)
    assert unanswered(tg.app, tid) == RESOLVED


# --- WeChat -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_wechat(wx: WxEnv, case: Case) -> None:
    """Typed 是, 满意 and option numbers: refused for the filer, no answer for anyone, nothing changes."""
    ids = {k: openid(k) for k in ("r1", "w1", "w2", "admin")}
    for k in ("r1", "w1", "w2"):
        await wx.text(ids[k], "你好")
    for k in ("w1", "w2"):
        await wx.text(ids["admin"], f"/grant {ids[k]} worker siji-1")
    tid = file_and_resolve(wx.app, "wechat", ids, case)
    await wx.deliver()
    user = ids[case.tries]
    for typed in ("是", "满意", "1", "2"):
        said = await wx.text(user, typed)
        if case.tries == case.filer and typed == "是":
            assert said == texts.SELF_RATING.format(id=tid), typed
        assert "回复 1：是" not in said, typed
    assert unanswered(wx.app, tid) == RESOLVED
