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
from handlers.reports import weekly as weekly_report
from handlers.reports.weekly import XLSX
from handlers.reports.weekly import dates as _dates
from handlers.reports.weekly import local as _local
from models.store.unit_of_work import Unit

from . import present, query
from .auth import Viewer
from .context import Office

EXPORT_LIMIT = 50_000
WIDTHS = (8, 16, 18, 12, 12, 48, 10, 12, 17, 17, 17, 17, 10, 18, 10)
# (header, width) in column order
COLUMNS: list[tuple[str, int]] = list(zip(texts.XLS_TICKET_HEADERS, WIDTHS, strict=True))


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
        _local(u, r.first_due),
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


def weekly_workbook(u: Unit, viewer: Viewer) -> bytes:
    """The weekly meeting's workbook for the viewer's communities (as /report_week sends it)."""
    return weekly_report.workbook(u, viewer.everywhere, viewer.admin_areas, viewer.communities)


def weekly(office: Office) -> Any:
    """GET /office/report/week.xlsx (admins)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def build(u: Unit) -> tuple[bytes, str]:
            return weekly_workbook(u, viewer), weekly_report.file_name(u)

        body, name = await office.run(build)
        return _download(body, XLSX, name)

    return page
