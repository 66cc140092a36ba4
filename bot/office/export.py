"""Excel and CSV exports of the filtered tickets list, and the weekly report workbook."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from starlette.requests import Request
from starlette.responses import Response

from handlers import texts
from handlers.render import area_label, category_name
from models.reports import stats as stats_mod
from models.store.unit_of_work import Unit

from . import present, query, statistics
from .auth import Viewer
from .context import Office

EXPORT_LIMIT = 50_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd hh:mm"
WIDTHS = (8, 16, 18, 12, 12, 48, 10, 12, 17, 17, 17, 17, 10, 18, 10)
# (header, width) in column order
COLUMNS: list[tuple[str, int]] = list(zip(texts.XLS_TICKET_HEADERS, WIDTHS, strict=True))


def _local(u: Unit, when: datetime | None) -> datetime | None:
    """Excel has no time zones: local wall-clock time, naive."""
    if when is None:
        return None
    return when.astimezone(ZoneInfo(u.rules.sla.timezone)).replace(tzinfo=None)


def values(u: Unit, r: present.Row) -> list[Any]:
    """One row's cells in column order."""
    return [
        r.id,
        r.status_label,
        r.category,
        r.community,
        r.grid,
        r.description,
        r.tier,
        r.handler,
        _local(u, r.created_at),
        _local(u, r.due_at),
        _local(u, r.resolved_at),
        _local(u, r.closed_at),
        texts.XLS_YES if r.overdue else texts.XLS_NO,
        r.rating,
        r.source,
    ]


def _header(ws: Worksheet, headers: list[tuple[str, int]], row: int = 1) -> None:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F3")
    for col, (name, width) in enumerate(headers, 1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font, cell.fill = bold, fill
        ws.column_dimensions[get_column_letter(col)].width = width


def _dates(ws: Worksheet, first_row: int) -> None:
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = DATE_FORMAT


def tickets_workbook(u: Unit, rows: list[present.Row]) -> bytes:
    """The filtered list as .xlsx: Chinese headers, widths, real dates, frozen header row."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = texts.XLS_TICKETS_SHEET
    _header(ws, COLUMNS)
    for r in rows:
        ws.append(values(u, r))
    _dates(ws, 2)
    for cell in ws["F"][1:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def tickets_csv(u: Unit, rows: list[present.Row]) -> bytes:
    """The filtered list as CSV in UTF-8 with a BOM, so Excel reads the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in COLUMNS])
    for r in rows:
        writer.writerow(
            [v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in values(u, r)]
        )
    return out.getvalue().encode("utf-8-sig")


def _download(body: bytes, media: str, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def export(office: Office, kind: str) -> Any:
    """GET /office/tickets.xlsx or .csv with the tickets page's filters."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def build(u: Unit) -> tuple[bytes, str]:
            f = query.parse(request.query_params, u)
            rows = present.rows(u, query.all_rows(u, viewer, f, EXPORT_LIMIT))
            stamp = u.now.astimezone(ZoneInfo(u.rules.sla.timezone)).strftime("%Y%m%d-%H%M")
            name = texts.XLS_TICKETS_FILE.format(stamp=stamp)
            if kind == "xlsx":
                return tickets_workbook(u, rows), f"{name}.xlsx"
            return tickets_csv(u, rows), f"{name}.csv"

        body, name = await office.run(build)
        return _download(body, XLSX if kind == "xlsx" else "text/csv; charset=utf-8", name)

    return page


HEADINGS = {
    t[0]
    for t in (
        texts.XLS_WEEKLY_STATUS,
        texts.XLS_WEEKLY_RATES,
        texts.XLS_WEEKLY_ON_TIME,
        texts.XLS_WEEKLY_OVERDUE,
        texts.XLS_WEEKLY_RANKING,
    )
}


def weekly_workbook(u: Unit, viewer: Viewer) -> bytes:
    """The weekly meeting's workbook: one sheet per community in the viewer's scope."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for community_id in viewer.communities:
        community = u.tree.by_id[community_id]
        sc = statistics.scope(u, viewer, "week", community_id)
        figs = statistics.figures(u, sc)
        ws = wb.create_sheet(community.name[:31])
        now = f"{_local(u, u.now):%Y-%m-%d %H:%M}"
        ws.append([texts.XLS_WEEKLY_TITLE.format(community=community.name, now=now)])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_STATUS))
        for name, n in figs["by_status"]:
            ws.append([name, n])
        ws.append([texts.XLS_WEEKLY_TOTAL, figs["stats"].total])
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_RATES))
        for name, rate in figs["rates"]:
            ws.append([name, rate])
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_ON_TIME))
        for row in figs["on_time"]:
            ws.append(list(row))
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_OVERDUE))
        late = stats_mod.overdue(u.session, u.now, sc.area_ids, limit=200)
        people = present.names(u, {t.handler_id for t in late if t.handler_id})
        for t in late:
            ws.append(
                [
                    t.id,
                    category_name(u.session, t.category_code),
                    area_label(u, t.area_id),
                    people.get(t.handler_id or 0, ""),
                    _local(u, stats_mod.late_since(t)),
                ]
            )
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_RANKING))
        for pos, name, pts in figs["ranking"]:
            ws.append([pos, name, pts])
        for row in ws.iter_rows():
            if row[0].value in HEADINGS:
                for cell in row:
                    cell.font = Font(bold=True)
        _dates(ws, 1)
        for col, width in zip("ABCDE", (22, 18, 18, 12, 17), strict=True):
            ws.column_dimensions[col].width = width
    if not wb.sheetnames:
        wb.create_sheet(texts.STATS_NONE[:31] or texts.XLS_WEEKLY_EMPTY)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def weekly(office: Office) -> Any:
    """GET /office/report/week.xlsx (admins)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def build(u: Unit) -> tuple[bytes, str]:
            stamp = u.now.astimezone(ZoneInfo(u.rules.sla.timezone)).strftime("%Y%m%d")
            return weekly_workbook(u, viewer), texts.XLS_WEEKLY_FILE.format(stamp=stamp)

        body, name = await office.run(build)
        return _download(body, XLSX, name)

    return page
