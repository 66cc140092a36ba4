"""Excel and CSV exports of the filtered tickets list, and the weekly report workbook."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from handlers import texts
from handlers.reports import weekly as weekly_report
from handlers.reports.weekly import XLSX
from handlers.reports.weekly import dates as _dates
from handlers.reports.weekly import local as _local
from models.security_log import SecurityKind, record
from models.store.unit_of_work import Unit

from . import present, query
from .auth import Viewer
from .context import Office

EXPORT_LIMIT = 50_000  # rows in a workbook at most (the CSV has no limit)
BATCH = 2000  # CSV rows read per transaction
WIDTHS = (8, 16, 18, 12, 12, 48, 10, 12, 17, 17, 17, 17, 10, 18, 10, 20, 17, 8)
# (header, width) in column order
COLUMNS: list[tuple[str, int]] = list(zip(texts.XLS_TICKET_HEADERS, WIDTHS, strict=True))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def inert(value: Any) -> Any:
    """A text that a spreadsheet would read as a formula, made plain text by a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def values(u: Unit, r: present.Row) -> list[Any]:
    """One row's cells in column order (text that looks like a formula made inert)."""
    return [inert(v) for v in _cells(u, r)]


def _cells(u: Unit, r: present.Row) -> list[Any]:
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
        r.city_number,
        _local(u, r.city_due),
        (texts.XLS_YES if r.city_signed else texts.XLS_NO) if r.city_number else "",
    ]


def _header(ws: Worksheet, headers: list[tuple[str, int]], row: int = 1) -> None:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F3")
    for col, (name, width) in enumerate(headers, 1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font, cell.fill = bold, fill
        ws.column_dimensions[get_column_letter(col)].width = width


VISIT_COLUMNS = [
    (name, width) for name, width in zip(texts.XLS_VISIT_HEADERS, (8, 18, 22, 48, 12, 17), strict=True)
]


def visit_workbook(u: Unit, title: str, detail: str, rows: list[present.Row]) -> bytes:
    """A night visit's 交办单 as .xlsx: the visit, its tickets (masked, as in every list), signature lines."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = texts.XLS_VISIT_SHEET
    ws.append([inert(title)])
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.append([inert(detail)])
    ws.append([])
    _header(ws, VISIT_COLUMNS, row=4)
    for r in rows:
        ws.append(
            [
                f"#{r.id}",
                r.category,
                f"{r.community} {r.grid}".strip(),
                inert(r.description),
                r.handler or texts.OFFICE["no_handler"],
                _local(u, r.first_due),
            ]
        )
    for cell in ws["D"][4:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.append([])
    for label in texts.WEB_VISIT_PRINT_SIGN:
        ws.append([label, "", "", ""])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def tickets_workbook(u: Unit, rows: list[present.Row], total: int | None = None) -> bytes:
    """The filtered list as .xlsx: Chinese headers, widths, real dates, frozen header row.

    When the list was cut (total above the rows given), a last line and a second sheet say so."""
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
    if total is not None and total > len(rows):
        note = texts.XLS_EXPORT_CUT.format(shown=len(rows), total=total)
        ws.append([note])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True, color="B03A2E")
        wb.create_sheet(texts.XLS_EXPORT_CUT_SHEET).append([note])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv_lines(u: Unit, rows: list[present.Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for r in rows:
        writer.writerow(
            [v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in values(u, r)]
        )
    return out.getvalue()


def _csv_chunk(ids: list[int], u: Unit) -> str:
    return _csv_lines(u, present.rows(u, query.load(u, ids)))


def _csv_header() -> str:
    out = io.StringIO()
    csv.writer(out).writerow([name for name, _ in COLUMNS])
    return out.getvalue()


def tickets_csv(u: Unit, rows: list[present.Row]) -> bytes:
    """The filtered list as CSV in UTF-8 with a BOM, so Excel reads the Chinese right."""
    return (_csv_header() + _csv_lines(u, rows)).encode("utf-8-sig")


def _download(body: bytes, media: str, filename: str, headers: dict[str, str] | None = None) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition, **(headers or {})})


def xlsx_download(body: bytes, name: str) -> Response:
    """A workbook as an attachment named in Chinese (RFC 5987)."""
    return _download(body, XLSX, f"{name}.xlsx")


def _file_name(u: Unit) -> str:
    stamp = u.now.astimezone(ZoneInfo(u.rules.sla.timezone)).strftime("%Y%m%d-%H%M")
    return texts.XLS_TICKETS_FILE.format(stamp=stamp)


def export(office: Office, kind: str) -> Any:
    """GET /office/tickets.xlsx or .csv with the tickets page's filters.

    The workbook holds at most EXPORT_LIMIT rows and says so when the list is longer; the CSV holds
    every matching ticket, read and sent BATCH rows at a time (no whole list in memory)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def numbers(u: Unit) -> tuple[list[int], str]:
            f = query.parse(request.query_params, u)
            ids = query.all_ids(u, viewer, f)
            detail = f"{kind} rows={len(ids)} filter={f.query(page=1) or '-'}"
            record(u.session, u.now, SecurityKind.EXPORT, person_id=viewer.person_id, detail=detail)
            return ids, _file_name(u)

        ids, name = await office.run(numbers)
        counted = {"X-Export-Total": str(len(ids))}
        if kind == "csv":
            return _stream_csv(office, ids, f"{name}.csv", counted)

        def build(u: Unit) -> bytes:
            return tickets_workbook(u, present.rows(u, query.load(u, ids[:EXPORT_LIMIT])), len(ids))

        body = await office.run(build)
        counted["X-Export-Rows"] = str(min(len(ids), EXPORT_LIMIT))
        return _download(body, XLSX, f"{name}.xlsx", counted)

    return page


def _stream_csv(office: Office, ids: list[int], filename: str, headers: dict[str, str]) -> Response:
    async def body() -> AsyncIterator[bytes]:
        yield _csv_header().encode("utf-8-sig")
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            yield (await office.run(partial(_csv_chunk, chunk))).encode("utf-8")

    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition, "X-Export-Rows": headers["X-Export-Total"], **headers},
    )


def weekly_workbook(u: Unit, viewer: Viewer) -> bytes:
    """The weekly meeting's workbook for the viewer's communities (as /report_week sends it)."""
    return weekly_report.workbook(u, viewer.everywhere, viewer.admin_areas, viewer.communities)


def weekly(office: Office) -> Any:
    """GET /office/report/week.xlsx (admins)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def build(u: Unit) -> tuple[bytes, str]:
            record(u.session, u.now, SecurityKind.EXPORT, person_id=viewer.person_id, detail="weekly report")
            return weekly_workbook(u, viewer), weekly_report.file_name(u)

        body, name = await office.run(build)
        return _download(body, XLSX, name)

    return page
