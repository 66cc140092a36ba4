"""City hotline orders: the dispatch list in, routed by address, 退单, 延期, replies out, 回访 in."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import cli, cli_hotline
from handlers import hotline, texts
from models.clock import SystemClock
from models.hotline import HotlineOrder, Routed
from models.hotline_rows import HEADERS, load_mapping, read_file
from models.tables import Ticket

from .harness import Harness

pytestmark = pytest.mark.usefixtures("group_privacy")

ZONE = ZoneInfo("Asia/Shanghai")
COLUMNS = list(HEADERS.values())


def order(number: str, address: str = "现代花园3幢2单元", **over: Any) -> dict[str, Any]:
    """One row of the city's 派单 list, by header."""
    row = {
        "工单编号": number,
        "派单时间": "2026-11-23 09:00",
        "问题分类": "城市管理/道路",
        "诉求内容": f"{address}门口路面塌陷，请尽快修复",
        "诉求地址": address,
        "诉求人": "李女士",
        "联系电话": "13912345678",
        "办结时限": "2026-11-30 18:00",
        "紧急程度": "一般",
    }
    row.update(over)
    return row


def write_xlsx(
    path: Path, rows: list[dict[str, Any]], sheet: str = "派单列表", columns: list[str] = COLUMNS
) -> Path:
    """An export as the 12345 terminal writes it: a title line, then the headers and the orders."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(["12345市民服务热线 派单列表"])
    ws.append(columns)
    for r in rows:
        ws.append([r.get(c) for c in columns])
    book.save(path)
    return path


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] = COLUMNS) -> Path:
    """The same list as CSV."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([r.get(c, "") for c in columns])
    return path


def jiesu(h: Harness, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the `jiesu` command on the harness's database at the harness's time; (status, stdout, stderr)."""
    cli_hotline.CLOCK = h.clock
    try:
        code = cli.main([*argv, "--db", h.app.config.database_url])
    finally:
        cli_hotline.CLOCK = SystemClock()
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def orders(h: Harness) -> list[tuple[str, int, str]]:
    """(city number, ticket area code, routed) of every city order."""

    def read(s: Session) -> list[tuple[str, int, str]]:
        tree = h.app.unit(s).tree
        rows = s.execute(
            select(HotlineOrder.number, Ticket.area_id, HotlineOrder.routed)
            .join(Ticket, Ticket.id == HotlineOrder.ticket_id)
            .order_by(HotlineOrder.id)
        ).all()
        return [(n, tree.by_id[a].code, r) for n, a, r in rows]

    return h.query(read)  # type: ignore[no-any-return]


def ticket_of(h: Harness, number: str) -> int:
    """The ticket id of a city number."""
    return int(
        h.query(lambda s: s.scalar(select(HotlineOrder.ticket_id).where(HotlineOrder.number == number)))
    )


async def test_import_routes_by_address_posts_cards_and_is_idempotent(
    h: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Orders land in the grid their 小区 names, an unknown address with the dispatchers; re-import: none."""
    await h.quick_grid()
    path = write_xlsx(
        tmp_path / "dispatch.xlsx",
        [
            order("BJ2026112300001"),
            order("BJ2026112300002", "畈东小区5号楼"),
            order("BJ2026112300003", "月亮街1号"),
        ],
    )
    code, out, err = jiesu(h, capsys, "hotline", "import", str(path))
    assert code == 0, err
    assert "imported 3 new orders; 0 already imported" in out
    assert orders(h) == [
        ("BJ2026112300001", "siji-1", Routed.NAME),
        ("BJ2026112300002", "jingfa-1", Routed.NAME),
        ("BJ2026112300003", "beiyuan", Routed.UNROUTED),
    ]
    await h.app.sender.flush()
    first = ticket_of(h, "BJ2026112300001")
    t = h.ticket(first)
    assert (t.source, t.contact_name, t.phone, t.status) == ("12345", "李女士", "13912345678", "open")
    assert t.city_due_at is not None and t.city_due_at.astimezone(ZONE).hour == 18
    assert t.location_approx and t.lat is not None  # on the map at its grid's centre
    card = h.to("@siji1")[-1]
    assert f"#{first}" in card and "12345市级工单" in card and "13912345678" not in card
    unrouted = ticket_of(h, "BJ2026112300003")
    assert any(f"/move {unrouted}" in m for m in h.to("admin"))
    code, out, _ = jiesu(h, capsys, "hotline", "import", str(path))
    assert code == 0 and "imported 0 new orders; 3 already imported (unchanged)" in out
    assert "nothing changed" in out
    assert len(orders(h)) == 3


async def test_a_grab_is_the_sign_and_the_city_deadline_caps_the_window(h: Harness, tmp_path: Path) -> None:
    """The 签收 window is 30 office minutes; a grab signs; the 135 deadline never runs past the city's."""
    await h.quick_grid()
    due = (h.clock.now() + timedelta(hours=5)).astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
    read = read_file(
        write_csv(tmp_path / "d.csv", [order("C1", 办结时限=due, 派单时间="2026-11-22 08:00")]),
        load_mapping(None),
        h.app.rules.limits,
        ZONE,
    )
    assert not read.problems
    await h.app.db.run(lambda s: hotline.intake(h.app.unit(s), read, "file", load_mapping(None)))
    tid = ticket_of(h, "C1")
    t = h.ticket(tid)
    assert t.next_check_at is not None
    assert (
        t.next_check_at - t.created_at <= timedelta(minutes=30) or t.next_check_at.astimezone(ZONE).hour >= 8
    )
    await h.say(f"w1: 抢单 {tid}")
    t = h.ticket(tid)
    assert t.status == "claimed" and t.claimed_at is not None
    assert t.due_at == t.city_due_at  # 5 hours, tighter than the simple tier's day


async def test_return_asked_by_the_worker_and_approved_by_the_dispatcher(h: Harness, tmp_path: Path) -> None:
    """退单: the worker asks with a reason, a community admin may not decide, a subdistrict admin approves."""
    await h.quick_grid()
    read = read_file(
        write_csv(tmp_path / "d.csv", [order("R1")]), load_mapping(None), h.app.rules.limits, ZONE
    )
    await h.app.db.run(lambda s: hotline.intake(h.app.unit(s), read, "file", load_mapping(None)))
    tid = ticket_of(h, "R1")
    await h.say(f"w1: 抢单 {tid}")
    out = await h.say(f"w1: /city_return {tid}")
    assert h.to("w1", out) == [texts.USAGE.format(usage=hotline.RETURN_USAGE)]
    out = await h.say(f"w1: /city_return {tid} 该地址属于邻街道管辖")
    assert h.to("w1", out) == [texts.CITY_ASKED_OK]
    assert any("申请退单" in m and "邻街道" in m for m in h.to("admin", out))
    out = await h.say(f"w1: /city_return {tid} 同意")
    assert h.to("w1", out) == [texts.NOT_DISPATCHER]
    assert h.ticket(tid).status == "claimed"
    out = await h.say(f"admin: /city_return {tid} 同意")
    assert h.to("admin", out)[-1] == texts.CITY_DECIDED_OK
    t = h.ticket(tid)
    assert t.status == "returned" and t.next_check_at is None
    assert any("已退回市级平台" in m for m in h.to("w1", out))
    rows = await h.app.db.run(lambda s: hotline.replies(h.app.unit(s), h.clock.now() - timedelta(days=1)))
    assert [(r.number, r.result, r.returned) for r in rows] == [
        ("R1", "该地址属于邻街道管辖", "已批准：该地址属于邻街道管辖")
    ]
    assert h.events(tid)[-2:] == ["return_asked", "returned"]


async def test_extension_moves_the_deadline_once_approved(h: Harness, tmp_path: Path) -> None:
    """延期: asked with a date and reason, refused keeps the deadline, approved moves it and the reminders."""
    await h.quick_grid()
    read = read_file(
        write_csv(tmp_path / "d.csv", [order("E1")]), load_mapping(None), h.app.rules.limits, ZONE
    )
    await h.app.db.run(lambda s: hotline.intake(h.app.unit(s), read, "file", load_mapping(None)))
    tid = ticket_of(h, "E1")
    await h.say(f"w1: 抢单 {tid}")
    before = h.ticket(tid)
    out = await h.say(f"w1: /city_extend {tid} 2026-12-10 需协调燃气公司施工")
    assert h.to("w1", out) == [texts.CITY_ASKED_OK]
    assert any("申请延期至" in m for m in h.to("admin", out))
    out = await h.say(f"admin: /city_extend {tid} 不同意 市级平台未批准")
    assert h.ticket(tid).due_at == before.due_at
    assert any("未获批准" in m for m in h.to("w1", out))
    await h.say(f"w1: /city_extend {tid} 2026-12-10 需协调燃气公司施工")
    await h.say(f"admin: /city_extend {tid} 同意 市级平台已批准")
    t = h.ticket(tid)
    assert t.city_due_at is not None and t.city_due_at.astimezone(ZONE).date().isoformat() == "2026-12-10"
    assert t.reminders_sent == 0 and t.next_check_at is not None


async def test_resolve_reply_export_and_city_visit_pays_once(
    h: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """办结 becomes the reply and is exported; 回访 双是 pays 10 + 20 once; a re-import changes nothing."""
    await h.quick_grid()
    path = write_xlsx(tmp_path / "d.xlsx", [order("V1"), order("V2")])
    assert jiesu(h, capsys, "hotline", "import", str(path))[0] == 0
    one, two = ticket_of(h, "V1"), ticket_of(h, "V2")
    for tid in (one, two):
        await h.say(f"w1: 抢单 {tid}")
        await h.say(f"w1: 办结 {tid} 已电话联系诉求人，路面已修复")
    assert h.ticket(one).status == "resolved"
    target = tmp_path / "replies.xlsx"
    code, out, err = jiesu(h, capsys, "hotline", "replies", "--since", "2026-11-01", "--out", str(target))
    assert code == 0, err
    sheet = load_workbook(target).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == texts.CITY_REPLY_HEADERS
    assert [(r[0], r[1], r[3]) for r in values[1:]] == [
        ("V1", "已电话联系诉求人，路面已修复", "w1"),
        ("V2", "已电话联系诉求人，路面已修复", "w1"),
    ]
    out = await h.say(f"w1: /city_reply {two} 已修复")
    assert h.to("w1", out) == [texts.NOT_DISPATCHER]
    out = await h.say(f"admin: /city_reply {two} 已于当日电话联系诉求人 路面已修复 诉求人表示认可")
    assert h.to("admin", out) == [texts.CITY_REPLY_SAVED.format(id=two)]
    rows = await h.app.db.run(lambda s: hotline.replies(h.app.unit(s), h.clock.now() - timedelta(days=1)))
    assert [r.result for r in rows][1] == "已于当日电话联系诉求人 路面已修复 诉求人表示认可"
    results = tmp_path / "visits.csv"
    with results.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["工单编号", "是否响应", "是否解决", "是否满意"])
        w.writerow(["V1", "是", "是", "满意"])
        w.writerow(["V2", "是", "否", "不满意"])
    code, out, err = jiesu(h, capsys, "hotline", "results", str(results))
    assert code == 0, err
    assert "recorded 2 回访 results" in out
    await h.app.sender.flush()
    ledger = [(p, r, d) for p, r, d in h.ledger() if p == "w1"]
    assert ledger.count(("w1", "city_double_yes", 20)) == 1
    assert h.ticket(one).status == "closed" and h.ticket(one).rating == "double_yes"
    t2 = h.ticket(two)
    assert (t2.status, t2.level, t2.reopen_count) == ("claimed", 1, 1)
    assert any("二次办理" in m for m in h.to("w1"))
    code, out, _ = jiesu(h, capsys, "hotline", "results", str(results))
    assert code == 1 or "already recorded" in out
    assert [(p, r, d) for p, r, d in h.ledger() if p == "w1"].count(("w1", "city_double_yes", 20)) == 1


async def test_bad_files_change_nothing(
    h: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wrong sheet, missing headers, a bad date, a duplicate number, over-long text: nothing is imported."""
    good = order("B1")
    cases = {
        "sheet": (write_xlsx(tmp_path / "a.xlsx", [good]), ["--sheet", "回访"], "no sheet '回访'"),
        "headers": (
            write_csv(tmp_path / "b.csv", [good], columns=[c for c in COLUMNS if c != "办结时限"]),
            [],
            "lacks ['办结时限']",
        ),
        "date": (
            write_csv(tmp_path / "c.csv", [good, order("B2", 派单时间="昨天上午")]),
            [],
            "row 3, 派单时间",
        ),
        "duplicate": (write_csv(tmp_path / "d.csv", [good, order("B1")]), [], "B1 is also on row 2"),
        "long": (write_csv(tmp_path / "e.csv", [order("B3", 诉求内容="长" * 1001)]), [], "at most 1000"),
        "type": (tmp_path / "f.txt", [], "expected an .xlsx or .csv"),
    }
    (tmp_path / "f.txt").write_text("工单编号\n", encoding="utf-8")
    for name, (path, extra, said) in cases.items():
        code, _, err = jiesu(h, capsys, "hotline", "import", str(path), *extra)
        assert code in (1, 2), name
        assert said in err and "nothing was imported" in err, (name, err)
    assert orders(h) == []
    code, out, err = jiesu(h, capsys, "hotline", "import", str(cases["date"][0]), "--good-rows")
    assert code == 0 and "imported 1 new orders" in out and "1 rows with problems were left out" in out
    assert [n for n, _, _ in orders(h)] == ["B1"]


async def test_unknown_category_falls_back_and_unknown_visit_is_refused(
    h: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown category is filed as 其他 and said; a 回访 of an unknown order records nothing."""
    path = write_csv(tmp_path / "d.csv", [order("U1", 问题分类="外星来客")])
    code, out, _ = jiesu(h, capsys, "hotline", "import", str(path))
    assert code == 0 and "category '外星来客'" in out and "'other'" in out
    assert h.ticket(ticket_of(h, "U1")).category_code == "other"
    results = tmp_path / "visits.csv"
    results.write_text("工单编号,是否响应,是否解决,是否满意\nNOPE1,是,是,是\n", encoding="utf-8")
    code, _, err = jiesu(h, capsys, "hotline", "results", str(results))
    assert code == 1 and "row 2" in err and "nothing was recorded" in err


async def test_an_office_mapping_reads_other_headers_and_category_names(
    h: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example mapping file: its headers are read, its category names map, its sheet is chosen."""
    mapping = Path(__file__).parent.parent / "examples" / "hotline-mapping.toml"
    renamed = {"工单编号": "工单号", "诉求内容": "来电内容", "办结时限": "要求办结时间"}
    columns = [renamed.get(c, c) for c in COLUMNS]
    rows = [{renamed.get(k, k): v for k, v in order("M1", 问题分类="供暖").items()}]
    path = write_xlsx(tmp_path / "other.xlsx", rows, columns=columns)
    code, _, err = jiesu(h, capsys, "hotline", "import", str(path))
    assert code == 2 and "lacks" in err and "工单编号" in err
    code, _, err = jiesu(h, capsys, "hotline", "import", str(path), "--mapping", str(mapping))
    assert code == 0, err
    assert h.ticket(ticket_of(h, "M1")).category_code == "livelihood"


def test_the_push_schema_names_the_fields_the_reader_requires() -> None:
    """docs/schemas/hotline-push.schema.json says what models/hotline_rows.py checks."""
    import json

    from models.hotline_rows import REQUIRED, RESULT_HEADERS

    schema = json.loads((Path(__file__).parent.parent / "docs/schemas/hotline-push.schema.json").read_text())
    order_def = schema["$defs"]["order"]
    assert tuple(order_def["required"]) == REQUIRED
    assert set(order_def["properties"]) == set(HEADERS)
    assert set(schema["$defs"]["results"]["properties"]["results"]["items"]["required"]) == set(
        RESULT_HEADERS
    )
