"""The office's 金点子 page (proposals by stage, with their next steps) and 夜访日记 (form, list, 交办单)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from handlers import ideas as idea_words
from handlers import night_visits as visit_flow
from handlers import texts
from handlers.refusals import refusal_text
from handlers.render import area_label
from models import ideas, night_visits
from models.errors import DomainError, NotAllowed, Refusal
from models.store.unit_of_work import Unit
from models.tables import NightVisit, Person

from . import export, present
from .auth import Viewer
from .context import Flash, Office

NEEDS_MOST = 30  # needs filed from one visit's form at most


def _areas(viewer: Viewer) -> set[int] | None:
    return None if viewer.everywhere else set(viewer.areas)


def idea_stage(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    """The ticket page's and the 金点子 page's form: the same step as 筛选 N 阶段 理由."""
    return idea_words.advance(u, me, ticket_id, form.get("stage", ""), form.get("reason", ""))


def ideas_page(office: Office) -> Any:
    """GET /office/ideas: the proposals of the viewer's areas, by stage, each with its next steps."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def read(u: Unit) -> dict[str, Any]:
            grouped = ideas.by_stage(u.session, _areas(viewer))
            stages = []
            for stage, found in grouped.items():
                rows = [
                    {
                        "t": t,
                        "area": area_label(u, t.area_id),
                        "reason": ideas.reason_of(u.session, t.id) or "",
                        "next": [
                            (s.value, texts.IDEA_STAGE[s]) for s in ideas.ORDER if s in ideas.NEXT[stage]
                        ],
                    }
                    for t in found
                ]
                stages.append((stage.value, texts.IDEA_STAGE[stage], rows))
            return {"stages": stages}

        ctx = await office.run(read)
        return office.page(request, "ideas.html", {"viewer": viewer, **ctx})

    return page


def _visit_context(u: Unit, viewer: Viewer, visit_id: int) -> dict[str, Any] | None:
    visit = u.session.get(NightVisit, visit_id)
    if visit is None or not (viewer.everywhere or visit.area_id in viewer.areas):
        return None
    found = [t for t in night_visits.tickets_of(u.session, visit.id) if viewer.sees(t)]
    return {
        "visit": visit,
        "detail": visit_flow.visit_detail(u, visit),
        "rows": present.rows(u, found),
        "recorder": present.names(u, {visit.recorded_by_id}).get(visit.recorded_by_id, ""),
    }


def visits_page(office: Office) -> Any:
    """GET /office/visits: the latest visits and the form; POST: record one and file its needs."""

    async def page(request: Request, viewer: Viewer) -> Response:
        flash: Flash | None = None
        form: dict[str, str] = {}
        status = 200
        if request.method == "POST":
            form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
            try:
                visit_id, count = await office.run(lambda u: _save(u, viewer, form))
            except DomainError as refusal:
                flash, status = Flash(refusal_text(refusal), ok=False), 400
            else:  # kept under the visit's number made negative: ticket numbers are positive
                office.flash(
                    viewer.person_id, -visit_id, Flash(texts.WEB_VISIT_SAVED.format(id=visit_id, count=count))
                )
                return RedirectResponse(str(request.url_for("visit", visit_id=visit_id)), status_code=303)

        def read(u: Unit) -> dict[str, Any]:
            visits = night_visits.recent(u.session, _areas(viewer))
            counts = {v.id: len(night_visits.tickets_of(u.session, v.id)) for v in visits}
            return {"visits": visits, "counts": counts}

        ctx = await office.run(read)
        context = {"viewer": viewer, "flash": flash, "form": form, "fields": texts.WEB_VISIT_FIELDS, **ctx}
        return office.page(request, "visits.html", context, status)

    return page


def _save(u: Unit, viewer: Viewer, form: dict[str, str]) -> tuple[int, int]:
    """One transaction: the visit and a 代办 ticket for each need line (all or nothing)."""
    me = u.session.get(Person, viewer.person_id)
    if me is None:  # pragma: no cover - the session was just checked
        raise NotAllowed(Refusal.WEB_SESSION_GONE)
    visit = night_visits.record(
        u,
        me,
        visit_flow.visit_from(
            u,
            form.get("date", ""),
            form.get("team", ""),
            form.get("place", ""),
            form.get("households", ""),
            form.get("notes", ""),
        ),
    )
    needs = [line.strip() for line in form.get("needs", "").splitlines() if line.strip()][:NEEDS_MOST]
    for need in needs:
        visit_flow.file_need(u, me, visit.id, need)
    return visit.id, len(needs)


def visit_workbook(office: Office) -> Any:
    """GET /office/visits/{id}/jiaoban.xlsx: the same 交办单 as a sheet, for offices that file in Excel."""

    async def page(request: Request, viewer: Viewer) -> Response:
        visit_id = int(request.path_params["visit_id"])

        def build(u: Unit) -> bytes | None:
            ctx = _visit_context(u, viewer, visit_id)
            if ctx is None:
                return None
            title = f"{u.rules.subdistrict_name} {texts.WEB_VISIT_PRINT_TITLE.format(id=visit_id)}"
            return export.visit_workbook(u, title, ctx["detail"], ctx["rows"])

        body = await office.run(build)
        if body is None:
            message = texts.WEB_VISIT_HIDDEN.format(id=visit_id)
            return office.page(request, "message.html", {"viewer": viewer, "message": message}, 404)
        return export.xlsx_download(body, texts.XLS_VISIT_FILE.format(id=visit_id))

    return page


def visit_page(office: Office, template: str = "visit.html") -> Any:
    """GET /office/visits/{id} (and /print: the 交办单 of its tickets, for the leadership to sign)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        visit_id = int(request.path_params["visit_id"])
        ctx = await office.run(lambda u: _visit_context(u, viewer, visit_id))
        if ctx is None:
            message = texts.WEB_VISIT_HIDDEN.format(id=visit_id)
            return office.page(request, "message.html", {"viewer": viewer, "message": message}, 404)
        flash = office.take_flash(viewer.person_id, -visit_id)
        now = office.app.clock.now()
        return office.page(request, template, {"viewer": viewer, "flash": flash, "now": now, **ctx})

    return page
