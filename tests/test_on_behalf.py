"""Acting on someone else's ticket (admins on behalf, with or without credit)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import texts
from models.tables import Person, TicketEvent

from .harness import Harness
from .office import client, office_with_grids, post_form, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")


def actors(h: Harness, ticket_id: int) -> list[tuple[str, str | None]]:
    """(kind, actor's user id) of a ticket's events, oldest first."""

    def read(s: Session) -> list[tuple[str, str | None]]:
        rows = s.execute(
            select(TicketEvent.kind, Person.external_id)
            .outerjoin(Person, Person.id == TicketEvent.actor_id)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        ).all()
        return [(str(k), None if p is None else str(p)) for k, p in rows]

    return h.query(read)  # type: ignore[no-any-return]


async def community_admin(h: Harness) -> None:
    """c1 becomes an admin of 四季社区 (the grid siji-1 is in it)."""
    await h.run("c1: 你好", "admin: /grant c1 admin siji")


async def test_close_on_behalf_without_credit_pays_nobody(h: Harness) -> None:
    """/close by a community admin on w1's ticket: the admin is the actor, the closing points go to nobody."""
    tid = await h.quick_claimed()
    await community_admin(h)
    out = await h.say(f"c1: /close {tid}")
    assert h.to("c1", out) == [
        texts.RESOLVE_DONE.format(id=tid),
        texts.ON_BEHALF_DONE.format(id=tid, credit=texts.ON_BEHALF_NO_CREDIT),
    ]
    assert h.to("r1", out) == [texts.R_RESOLVED.format(id=tid, note=texts.ON_BEHALF_NOTE)]
    out = await h.run("r1: [tap 是]", "r1: [tap 满意]")
    assert h.ledger() == [("w1", "grab", 2)]
    assert h.to("w1", out) == [texts.W_CLOSED.format(id=tid, rating=texts.RATING["double_yes"], points=0)]
    assert actors(h, tid)[-3:] == [("resolved", "c1"), ("confirmed_resolved", "r1"), ("closed", "r1")]
    assert h.to("w1", await h.say("w1: 我的积分"))[-1] == texts.POINTS.format(total=2, week=2, month=2)


async def test_close_on_behalf_with_credit_pays_the_named_worker(h: Harness) -> None:
    """/close ID --credit w2: w2 earns the close and 双是 points and is told; w1 keeps only his grab."""
    tid = await h.quick_claimed()
    await community_admin(h)
    out = await h.say(f"c1: /close {tid} 路面已修补 --credit w2")
    assert h.to("c1", out)[-1] == texts.ON_BEHALF_DONE.format(
        id=tid, credit=texts.ON_BEHALF_CREDIT.format(user="w2")
    )
    assert h.to("r1", out) == [texts.R_RESOLVED.format(id=tid, note="路面已修补")]
    out = await h.run("r1: [tap 是]", "r1: [tap 满意]")
    assert h.ledger() == [("w1", "grab", 2), ("w2", "close", 10), ("w2", "double_yes", 20)]
    assert h.to("w2", out) == [texts.W_CLOSED_CREDITED.format(id=tid, points=30)]
    assert h.to("w1", out) == [texts.W_CLOSED.format(id=tid, rating=texts.RATING["double_yes"], points=0)]
    stored = h.ticket(tid)
    w2 = h.query(lambda s: s.scalar(select(Person.id).where(Person.external_id == "w2")))
    assert stored.credit_id == w2 and stored.status == "closed"


@pytest.mark.parametrize(
    "line",
    [
        "办结 {id} 已修复 记分给 w2",
        "办结 {id} 已修复，积分给w2",
        "/close {id} --credit=w2",
        "/close {id} —credit w2",
    ],
)
async def test_credit_is_understood_in_chinese_and_dashed_forms(h: Harness, line: str) -> None:
    """The credit may be written 记分给 / 积分给 (with or without a space), --credit=, or a long dash."""
    tid = await h.quick_claimed()
    await h.say("admin: " + line.format(id=tid))
    await h.run("r1: 是", "r1: 满意")
    assert h.ledger() == [("w1", "grab", 2), ("w2", "close", 10), ("w2", "double_yes", 20)]
    assert not h.ticket(tid).resolution_note or "w2" not in (h.ticket(tid).resolution_note or "")


async def test_unsatisfied_close_on_behalf_pays_the_credit_only_the_base(h: Harness) -> None:
    """An unsatisfied answer after a credited close on behalf: +10 to the credited worker, no bonus."""
    tid = await h.quick_claimed()
    await h.run(f"admin: 办结 {tid} 已修复 记分给 w2", "r1: 是", "r1: 不满意")
    assert h.ledger() == [("w1", "grab", 2), ("w2", "close", 10)]


async def test_reopened_and_resolved_by_the_handler_pays_the_handler_again(h: Harness) -> None:
    """Resolved on behalf, then 否 by the resident, then resolved by w1 himself: w1 is paid as usual."""
    tid = await h.quick_claimed()
    await h.run(f"admin: /close {tid}", "r1: 否", f"w1: 办结 {tid} 这次真修好了", "r1: 是", "r1: 满意")
    assert h.ledger() == [("w1", "grab", 2), ("w1", "close", 10), ("w1", "double_yes", 20)]


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("w1: 办结 {id} 已修复 记分给 w2", texts.CREDIT_NOT_ON_BEHALF),
        ("admin: /close {id} --credit j1", texts.CREDIT_NOT_IN_SCOPE),
        ("admin: /close {id} --credit nobody", texts.USER_NOT_FOUND),
        ("admin: /close", texts.USAGE),
    ],
)
async def test_bad_credit_is_refused_and_changes_nothing(h: Harness, line: str, said: str) -> None:
    """Crediting oneself, a worker outside the ticket's area or an unknown name: a clear answer, no change."""
    tid = await h.quick_claimed()
    await h.quick_grid(group="jingfa1", grid="jingfa-1", workers=("j1",))
    before = h.events(tid)
    user = line.split(":")[0]
    out = await h.say(line.format(id=tid))
    expected = said.format(id=tid, user=line.rsplit(" ", 1)[-1], usage=texts.CLOSE_USAGE)
    assert h.to(user, out) == [expected]
    assert h.ticket(tid).status == "claimed" and h.events(tid) == before


@pytest.mark.parametrize(
    "command",
    ["见面 {id}", "进展 {id} 已联系", "定级 {id} 复杂 需要协调", "办结 {id} 已修复", "/close {id}"],
)
async def test_worker_cannot_act_on_a_ticket_he_does_not_hold(h: Harness, command: str) -> None:
    """w2 (same grid, not the handler) is refused on w1's ticket, and the ticket stays as it was."""
    tid = await h.quick_claimed()
    before = h.events(tid)
    out = await h.say("w2: " + command.format(id=tid))
    assert h.to("w2", out) == [texts.NOT_HANDLER.format(id=tid)]
    assert h.events(tid) == before and h.ticket(tid).status == "claimed"
    assert h.ledger() == [("w1", "grab", 2)]


async def test_admin_reassign_move_and_visit_record_the_admin_and_pay_no_visit_bonus(h: Harness) -> None:
    """Reassign, visit and move by admins: each event names the admin; a visit by one pays no bonus."""
    tid = await h.quick_claimed()
    await community_admin(h)
    await h.run(f"c1: /assign {tid} w2", f"c1: 见面 {tid}", f"admin: /move {tid} siji-2")
    assert actors(h, tid)[-3:] == [("assigned", "c1"), ("met", "c1"), ("moved", "admin")]
    assert h.ledger() == [("w1", "grab", 2)]


async def test_the_handlers_own_visit_after_an_admins_still_earns_the_bonus_once(h: Harness) -> None:
    """An admin's visit takes nothing from the handler: his own first visit pays +3, a second none."""
    tid = await h.quick_claimed()
    await h.run(f"admin: 见面 {tid}", f"w1: 见面 {tid}", f"w1: 见面 {tid}")
    assert h.ledger() == [("w1", "grab", 2), ("w1", "meet", 3)]


async def test_web_close_on_behalf_form_with_and_without_credit(db_url: str) -> None:
    """代为办结 on the web: same operation, admin as actor, points to the chosen worker or nobody."""
    async with office_with_grids(db_url) as web:
        first = await web.quick_claimed()
        second = await web.quick_report("r2")
        await web.say(f"w1: 抢单 {second}")
        w2 = web.query(lambda s: s.scalar(select(Person.id).where(Person.external_id == "w2")))
        async with client(web) as http:
            await sign_in(web, http, "admin")
            page = (await http.get(f"/office/tickets/{first}")).text
            assert 'id="do-close"' in page and 'id="close-credit"' in page
            url = f"/office/tickets/{first}"
            start = len(web.transport.transcript)
            done = await post_form(http, url, f"{url}/close", {"note": "已核实修复", "credit": str(w2)})
            assert done.status_code == 303
            await web.app.sender.flush()
            out = web.transport.transcript[start:]
            assert web.to("r1", out) == [texts.R_RESOLVED.format(id=first, note="已核实修复")]
            shown = (await http.get(done.headers["location"])).text
            credited = texts.ON_BEHALF_CREDIT.format(user="w2")
            assert texts.WEB_DONE["close"].format(id=first, detail=credited) in shown
            url = f"/office/tickets/{second}"
            done = await post_form(http, url, f"{url}/close", {"note": "", "credit": ""})
            assert done.status_code == 303
        await web.run("r1: 是", "r1: 满意", "r2: 是", "r2: 满意")
        assert actors(web, first)[-3][0:2] == ("resolved", "admin")
        assert actors(web, second)[-3][0:2] == ("resolved", "admin")
        assert web.ticket(second).resolution_note == texts.ON_BEHALF_NOTE
        paid = [("w2", "close", 10), ("w2", "double_yes", 20)]
        assert web.ledger() == [("w1", "grab", 2), ("w1", "grab", 2), *paid]


async def test_web_close_form_refusals_and_no_form_for_workers(db_url: str) -> None:
    """A worker not holding the ticket sees no 代为办结 form and is refused; so is a credit out of area."""
    async with office_with_grids(db_url, jingfa=True) as web:
        tid = await web.quick_claimed()
        j1 = web.query(lambda s: s.scalar(select(Person.id).where(Person.external_id == "j1")))
        url = f"/office/tickets/{tid}"
        async with client(web) as http:
            await sign_in(web, http, "w2")
            page = (await http.get(url)).text
            assert 'id="do-close"' not in page
            refused = await post_form(http, url, f"{url}/close", {"note": "已修复"})
            assert refused.status_code == 400 and texts.NOT_HANDLER.format(id=tid) in refused.text
        async with client(web) as http:
            await sign_in(web, http, "admin")
            refused = await post_form(http, url, f"{url}/close", {"credit": str(j1)})
            assert refused.status_code == 400
            assert texts.CREDIT_NOT_IN_SCOPE.format(id=tid, user="j1") in refused.text
            refused = await post_form(http, url, f"{url}/close", {"credit": "abc"})
            assert refused.status_code == 400
        assert web.ticket(tid).status == "claimed" and web.events(tid) == ["created", "grabbed"]
