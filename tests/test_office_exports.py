"""Excel and CSV exports, the weekly workbook, the resident's progress page, `jiesu web link`."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from openpyxl import load_workbook

from handlers import texts
from models.tables import Ticket

from .harness import Harness
from .office import BASE, client, office_with_grids, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")

HEADERS = ["编号", "状态", "类别", "社区", "网格", "问题描述", "时限档位", "经办人", "受理时间", "办结期限"]


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on; grids siji-1 (w1, w2) and jingfa-1 (j1)."""
    async with office_with_grids(db_url, jingfa=True) as h:
        yield h


async def test_excel_export_of_the_filtered_list(web: Harness) -> None:
    """导出 Excel: Chinese headers, the filtered rows, real dates, widths and a frozen header row."""
    a = await web.quick_report("r1")
    b = await web.quick_report("r2", location=(29.3380, 120.0900), description="经发路路灯不亮")
    await web.say(f"w1: 抢单 {a}")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        answer = await http.get("/office/tickets.xlsx?status=claimed")
        assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in answer.headers["content-disposition"]
        ws = load_workbook(io.BytesIO(answer.content)).active
        assert [c.value for c in ws[1]][: len(HEADERS)] == HEADERS
        assert ws.freeze_panes == "A2" and ws.column_dimensions["F"].width >= 40
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        assert [r[0] for r in rows] == [a]
        row = rows[0]
        assert row[1] == "办理中" and row[2] == "大城管/道路破损" and row[3] == "四季社区" and row[7] == "w1"
        assert isinstance(row[8], datetime) and row[8] == datetime(2026, 11, 23, 9, 0)  # local time
        assert isinstance(row[9], datetime) and ws.cell(row=2, column=9).number_format == "yyyy-mm-dd hh:mm"
        everything = str(rows)
        assert "13800138000" not in everything and b not in [r[0] for r in rows]


async def test_csv_export_opens_in_excel(web: Harness) -> None:
    """CSV in UTF-8 with a BOM; the same rows and headers as the workbook."""
    a = await web.quick_report("r1", description='含逗号,和"引号"的描述')
    async with client(web) as http:
        await sign_in(web, http, "admin")
        answer = await http.get("/office/tickets.csv")
        assert answer.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert rows[0][: len(HEADERS)] == HEADERS
        assert rows[1][0] == str(a) and rows[1][5] == '含逗号,和"引号"的描述'


async def test_export_keeps_the_viewers_scope(web: Harness) -> None:
    """A worker's export holds only what their tickets page shows."""
    a = await web.quick_report("r1")
    await web.quick_report("r2", location=(29.3380, 120.0900))
    async with client(web) as http:
        await sign_in(web, http, "w1")
        ws = load_workbook(io.BytesIO((await http.get("/office/tickets.xlsx")).content)).active
        assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == [a]


async def test_weekly_workbook_has_a_sheet_per_community(web: Harness) -> None:
    """周报: one sheet per community with counts, the 三率, on-time rates, overdue list and ranking."""
    from datetime import timedelta

    a = await web.quick_report("r1")
    await web.say(f"w1: 抢单 {a}")
    await web.advance(timedelta(days=2))  # past the 1-day deadline: overdue
    async with client(web) as http:
        await sign_in(web, http, "admin")
        wb = load_workbook(io.BytesIO((await http.get("/office/report/week.xlsx")).content))
        assert wb.sheetnames == ["四季社区", "经发社区", "望道社区", "拥军社区", "丹溪社区"]
        ws = wb["四季社区"]
        cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
        for label in ("三率", "响应率", "解决率", "满意率", "时限档位", "超期工单编号", "积分排名"):
            assert label in cells, label
        late_row = next(r for r in ws.iter_rows(values_only=True) if r[0] == a)
        assert late_row[3] == "w1" and isinstance(late_row[4], datetime)
        assert "w1" in cells  # the ranking
        empty = [c for row in wb["丹溪社区"].iter_rows(values_only=True) for c in row if c is not None]
        assert a not in empty


async def test_progress_page_by_token(web: Harness) -> None:
    """The confirmation carries a link; the page shows status and public timeline, no phone or address."""
    await web.setup_grid()
    tid = await web.report("r1", description="幸福里7幢门口井盖松动 电话13700001111")
    confirmation = next(t for t in web.to("r1") if t.startswith(f"已受理！工单编号 #{tid}"))
    url = re.search(rf"{BASE}(/t/[A-Za-z0-9_-]+)", confirmation)
    assert url, confirmation
    await web.say(f"w1: 抢单 {tid}")
    await web.say(f"w1: 进展 {tid} 已联系市政，明天上午维修")
    async with client(web) as http:
        page = await http.get(url.group(1))
        assert page.status_code == 200 and texts.STATUS["claimed"] in page.text
        assert "已联系市政，明天上午维修" in page.text and "接单" in page.text
        assert "13800138000" not in page.text and "13700001111" not in page.text
        t = web.ticket(tid)
        assert t.lat is not None and f"{t.lat:.5f}" not in page.text
        assert 'name="viewport"' in page.text
        assert page.headers["cache-control"] == "no-store"
        missing = await http.get("/t/not-a-token")
        assert missing.status_code == 404 and texts.TRACK_NOT_FOUND in missing.text


async def test_cli_prints_a_link_for_staff_only(web: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    """`jiesu web link admin` prints a working link; a resident gets a clear error."""
    from bot.cli_web import link

    config = web.app.config
    assert link(config, "admin") == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith(f"{BASE}/office/login/")
    assert link(config, "r1") == 1 and "not a worker or admin" in capsys.readouterr().err
    async with client(web) as http:
        page = await http.get(printed.removeprefix(BASE))
        assert page.status_code == 200
    assert web.count(Ticket) == 0


def test_office_code_takes_every_chinese_word_from_the_catalogue() -> None:
    """No string literal in bot/office/*.py holds Chinese (docstrings aside): the words are in texts.py."""
    import ast
    import re
    from pathlib import Path

    han = re.compile(r"[\u4e00-\u9fff]")
    found = []
    for path in sorted((Path(__file__).parent.parent / "bot" / "office").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and han.search(node.value)
            ):
                found.append(f"{path.name}:{node.lineno}: {node.value}")
    assert found == []


async def test_a_cut_export_says_so_and_the_csv_streams_every_row(
    web: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the workbook's limit: the page and the workbook say so; the CSV streams all rows in batches."""
    from bot.office import export

    monkeypatch.setattr(export, "EXPORT_LIMIT", 2)
    monkeypatch.setattr(export, "BATCH", 1)
    made = [await web.quick_report(f"r{i}") for i in range(3)]
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get("/office/tickets")).text
        assert texts.OFFICE["export_cut"].format(total=3, limit=2) in page
        answer = await http.get("/office/tickets.xlsx")
        assert (answer.headers["x-export-total"], answer.headers["x-export-rows"]) == ("3", "2")
        book = load_workbook(io.BytesIO(answer.content))
        ws = book.active
        values = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
        assert values == [made[2], made[1], texts.XLS_EXPORT_CUT.format(shown=2, total=3)]
        assert book.sheetnames == [texts.XLS_TICKETS_SHEET, texts.XLS_EXPORT_CUT_SHEET]
        async with http.stream("GET", "/office/tickets.csv") as streamed:
            chunks = [c async for c in streamed.aiter_bytes()]
        lines = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
        assert [int(r[0]) for r in lines[1:]] == made[::-1]
        # Under the limit nothing is said.
        small = await http.get(f"/office/tickets.xlsx?q=%23{made[0]}")
        assert texts.XLS_EXPORT_CUT_SHEET not in load_workbook(io.BytesIO(small.content)).sheetnames
