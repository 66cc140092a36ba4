"""End to end with the fake 12345 platform: 50 orders in by file and push, routed, handled, replied, 回访."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import cli, cli_hotline
from bot.config import HotlineConfig, HotlineSource
from handlers import texts
from models.clock import SystemClock
from models.hotline import HotlineOrder
from models.tables import PointsEntry, Ticket

from .cityfake import KEY_ID, SECRET, City
from .harness import Harness
from .office import client, office_config, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.fixture
async def town(db_url: str) -> AsyncIterator[Harness]:
    """The demo office with the city platform's key, and a worker in each grid the fake dispatches to."""
    config = office_config()
    config.hotline = HotlineConfig(sources={KEY_ID: HotlineSource("12345热线", SECRET)})
    h = await Harness.create(db_url, config)
    try:
        await h.quick_grid()
        for grid, worker in (("siji-2", "s2"), ("jingfa-1", "j1"), ("jingfa-2", "j2")):
            await h.quick_grid(group=grid.replace("-", ""), grid=grid, workers=(worker,))
        yield h
    finally:
        h.close()


def jiesu(h: Harness, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `jiesu` on the harness's database at the harness's time."""
    cli_hotline.CLOCK = h.clock
    try:
        code = cli.main([*argv, "--db", h.app.config.database_url])
    finally:
        cli_hotline.CLOCK = SystemClock()
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def placed(h: Harness) -> dict[str, tuple[int, str, str]]:
    """City number -> (ticket id, area code, status)."""

    def read(s: object) -> dict[str, tuple[int, str, str]]:
        u = h.app.unit(s)  # type: ignore[arg-type]
        rows = u.session.execute(
            select(HotlineOrder.number, Ticket.id, Ticket.area_id, Ticket.status).join(
                Ticket, Ticket.id == HotlineOrder.ticket_id
            )
        ).all()
        return {n: (t, u.tree.by_id[a].code, str(st)) for n, t, a, st in rows}

    return h.query(read)  # type: ignore[no-any-return]


WORKER = {"siji-1": "w1", "siji-2": "s2", "jingfa-1": "j1", "jingfa-2": "j2"}


async def test_fifty_city_orders_from_dispatch_to_the_citys_visit(
    town: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """25 by file, 25 pushed; routed by address; grabbed; one returned, one extended; replies; 回访."""
    h = town
    city = City(now=h.clock.now())
    by_file = city.dispatch(25, "F", nowhere_every=25)
    code, out, err = jiesu(
        h, capsys, "hotline", "import", str(city.export_xlsx(tmp_path / "d.xlsx", by_file))
    )
    assert code == 0, err
    assert "imported 25 new orders" in out and "1 addresses matched no single grid" in out
    pushed = city.dispatch(25, "P", nowhere_every=25)
    async with client(h) as http:
        answer = await city.push(http, pushed)
        assert answer.status_code == 201, answer.text
        assert len(answer.json()["created"]) == 25 and len(answer.json()["unrouted"]) == 1
        again = await city.push(http, pushed)
        assert again.status_code == 200 and len(again.json()["known"]) == 25 and again.json()["created"] == []
    where = placed(h)
    assert len(where) == 50
    for o in city.orders:
        assert where[o.number][1] == (o.grid or "beiyuan"), o
    for o in city.orders:
        if o.grid is None:  # the dispatchers assign what the address did not place
            await h.say(f"admin: /move {where[o.number][0]} siji-1")
            o.grid = "siji-1"
    where = placed(h)
    assert {code for _, code, _ in where.values()} == {"siji-1", "siji-2", "jingfa-1", "jingfa-2"}
    for o in city.orders:
        await h.say(f"{WORKER[o.grid or '']}: 抢单 {where[o.number][0]}")
    assert {st for _, _, st in placed(h).values()} == {"claimed"}
    returned, extended = city.orders[0], city.orders[1]
    rid, eid = where[returned.number][0], where[extended.number][0]
    await h.say(f"{WORKER[returned.grid or '']}: /city_return {rid} 属于邻街道辖区")
    await h.say(f"admin: /city_return {rid} 同意")
    await h.say(f"{WORKER[extended.grid or '']}: /city_extend {eid} 2026-12-20 需协调燃气公司")
    await h.say(f"admin: /city_extend {eid} 同意 市级平台已批准延期")
    assert h.ticket(rid).status == "returned"
    assert h.ticket(eid).city_due_at is not None and h.ticket(eid).city_due_at > city.orders[1].deadline  # type: ignore[operator]
    for o in city.orders[1:]:
        await h.say(f"{WORKER[o.grid or '']}: 办结 {where[o.number][0]} 已联系诉求人，现场已修复")
    replies = tmp_path / "replies.xlsx"
    code, out, err = jiesu(h, capsys, "hotline", "replies", "--since", "2026-11-01", "--out", str(replies))
    assert code == 0, err
    back = city.read_replies(replies)
    assert len(back) == 50
    assert back[returned.number][1] == "属于邻街道辖区" and back[returned.number][4].startswith("已批准")
    assert back[extended.number][5].startswith("已批准：2026-12-20")
    assert all(o.reply == "已联系诉求人，现场已修复" for o in city.orders[1:])
    visits = [(o.number, True, i % 6 != 5, i % 6 != 5) for i, o in enumerate(city.orders[1:])]
    double_yes = sum(1 for v in visits if v[2])
    async with client(h) as http:
        answer = await city.push_results(http, visits)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["recorded"]) == 49
    await h.app.sender.flush()
    city_points = h.query(
        lambda s: s.scalar(
            select(func.count())
            .select_from(PointsEntry)
            .where(PointsEntry.reason == "city_double_yes", PointsEntry.delta == 20)
        )
    )
    assert (double_yes, city_points) == (41, 41)
    statuses = placed(h)
    assert sum(1 for _, _, st in statuses.values() if st == "closed") == 41
    assert sum(1 for _, _, st in statuses.values() if st == "claimed") == 8
    assert all(h.ticket(statuses[n][0]).level == 1 for n, _, ok, _ in visits if not ok)
    code, out, err = jiesu(h, capsys, "hotline", "kpi", "--by", "community", "--since", "2026-11-01")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1] == "合计\t50\t1\t49\t49\t100.0%\t83.7%\t83.7%"  # 41 of 49 resolved and satisfied
    assert {line.split("\t")[0] for line in lines[2:-1]} == {"四季社区", "经发社区"}
    code, out, _ = jiesu(h, capsys, "hotline", "kpi", "--by", "worker", "--since", "2026-11-01")
    assert sum(int(line.split("\t")[1]) for line in out.splitlines()[2:-1]) == 50
    # The same 三率 in the subdistrict admin's /stats.
    said = h.to("admin", await h.say("admin: /stats"))[0]
    assert texts.STATS_CITY.format(
        count=50, visited=49, response="100.0%", resolution="83.7%", satisfaction="83.7%"
    ) in said.splitlines()


async def test_bad_pushes_are_refused_and_change_nothing(town: Harness) -> None:
    """A wrong key, a forged signature, a stale or replayed push, a bad item, an unknown order's 回访."""
    h = town
    city = City(now=h.clock.now())
    [one] = city.dispatch(1, "X")
    async with client(h) as http:
        wrong = City(now=city.now, key_id="nobody")
        wrong.orders = city.orders
        assert (await wrong.push(http, [one])).status_code == 403
        forged = City(now=city.now, secret="not-the-citys-secret")
        assert (await forged.push(http, [one])).json()["error"] == "bad_signature"
        stale = await city.push(http, [one], at=city.now - timedelta(hours=1))
        assert (stale.status_code, stale.json()["error"]) == (401, "stale")
        one.deadline = one.dispatched_at - timedelta(hours=1)
        bad = await city.push(http, [one])
        assert bad.status_code == 422 and "办结时限" not in bad.text and "deadline" in bad.text
        one.deadline = city.now + timedelta(days=3)
        assert placed(h) == {}
        first = await city.push(http, [one], nonce="nonce-0001")
        assert first.status_code == 201
        replay = await city.push(http, [one], nonce="nonce-0001")
        assert (replay.status_code, replay.json()["error"]) == (409, "replay")
        unknown = await city.push_results(http, [("NOSUCH1", True, True, True)])
        assert unknown.status_code == 422
        early = await city.push_results(http, [(one.number, True, True, True)])
        assert early.status_code == 422  # not resolved yet: nothing to visit
    assert len(placed(h)) == 1
    [(tid, _, _)] = placed(h).values()
    async with client(h) as http:
        await sign_in(h, http, "admin")
        page = (await http.get(f"/office/tickets/{tid}")).text
    assert one.number in page and texts.CITY_FIELDS["deadline"] in page and texts.CITY_NOT_SIGNED in page
