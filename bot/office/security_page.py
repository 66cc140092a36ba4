"""The security log on the web (/office/security) and as CSV: for admins of the whole subdistrict."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from handlers import texts
from models.security_log import KEPT_DAYS, SecurityKind, entries, record
from models.store.unit_of_work import Unit

from . import present
from .auth import Viewer
from .context import Office

PAGE = 200
CSV_LIMIT = 100_000


@dataclass(frozen=True)
class Line:
    """One log line with the actor's name and the kind in words."""

    id: int
    at: datetime
    kind: str
    who: str
    source: str
    detail: str


def _lines(u: Unit, limit: int, before: int | None) -> list[Line]:
    found = entries(u.session, limit, before)
    people = present.names(u, {e.person_id for e in found if e.person_id is not None})
    return [
        Line(
            e.id,
            e.at,
            texts.SECURITY_KIND.get(e.kind, e.kind),
            f"{people.get(e.person_id, '')}（{e.person_id}）" if e.person_id is not None else "",
            e.source,
            e.detail,
        )
        for e in found
    ]


def _forbidden(office: Office, request: Request, viewer: Viewer) -> Response:
    return office.page(request, "message.html", {"message": texts.WEB_FORBIDDEN, "viewer": viewer}, 403)


def security_page(office: Office) -> Any:
    """GET /office/security: the newest lines, 200 a page."""

    async def page(request: Request, viewer: Viewer) -> Response:
        if not viewer.everywhere:
            return _forbidden(office, request, viewer)
        raw = request.query_params.get("before", "")
        before = int(raw) if raw.isdigit() and len(raw) <= 15 else None
        lines = await office.run(lambda u: _lines(u, PAGE, before))
        older = lines[-1].id if len(lines) == PAGE else None
        context = {"viewer": viewer, "entries": lines, "older": older, "kept_days": KEPT_DAYS}
        return office.page(request, "security.html", context)

    return page


def security_csv(office: Office) -> Any:
    """GET /office/security.csv: the whole log (newest first), its own export logged too."""

    async def page(request: Request, viewer: Viewer) -> Response:
        if not viewer.everywhere:
            return _forbidden(office, request, viewer)

        def build(u: Unit) -> bytes:
            lines = _lines(u, CSV_LIMIT, None)
            record(
                u.session,
                u.now,
                SecurityKind.EXPORT,
                person_id=viewer.person_id,
                detail=f"security log rows={len(lines)}",
            )
            zone = ZoneInfo(u.rules.sla.timezone)
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(texts.WEB_SECURITY_HEADERS)
            for line in lines:
                writer.writerow(
                    [
                        line.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                        line.kind,
                        line.who,
                        line.source,
                        line.detail,
                    ]
                )
            return out.getvalue().encode("utf-8-sig")

        body = await office.run(build)
        disposition = "attachment; filename=security-log.csv"
        return Response(
            body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
        )

    return page
