"""The office's pages: tickets, one ticket with its actions, map, statistics, photos and charts."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import case, func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from handlers import mediation, moving, texts
from handlers.hotline_text import city_facts
from handlers.refusals import refusal_text
from handlers.render import area_label, category_name, due_text
from models import consult, enterprise, ticket_photos, tickets
from models.errors import BadInput, DomainError, NotAllowed, Refusal
from models.lateness import late as late_sql
from models.mediation_routing import is_mediation
from models.mediation_routing import team as mediator_team
from models.refdata import catalogue
from models.security_log import SecurityKind, record
from models.store.unit_of_work import Unit
from models.tables import ACTIVE, AreaLevel, Person, Role, RoleGrant, Status, Ticket, Tier
from models.ticket_move import movable
from models.ticket_states import Action, allowed

from . import civic_pages, export, present, query, saved
from .auth import Viewer
from .context import Flash, Office

MAP_LIMIT = 20_000  # markers on the map at most (clustered); the page says when more are left out
CURRENT_RESOLUTION = (Status.RESOLVED, Status.CLOSED)


def _options(u: Unit, viewer: Viewer) -> dict[str, Any]:
    """Choices for the filter form, limited to the viewer's scope."""
    tree = u.tree
    communities = [tree.by_id[c] for c in viewer.communities]
    grids = [g for c in communities for g in tree.children(c.id) if viewer.everywhere or g.id in viewer.areas]
    cats = catalogue(u.session)
    # Handlers to filter by: the workers of the viewer's areas (not a scan of the tickets).
    workers = u.session.execute(
        select(RoleGrant.person_id, RoleGrant.area_id).where(RoleGrant.role == Role.WORKER)
    ).all()
    handler_ids = {int(pid) for pid, area in workers if viewer.everywhere or area in viewer.areas}
    handler_ids.add(viewer.person_id)
    handlers = sorted(present.names(u, handler_ids).items(), key=lambda kv: (kv[1], kv[0]))
    return {
        "communities": communities,
        "grids": [(g, tree.by_id[g.parent_id].name if g.parent_id else "") for g in grids],
        "categories": [(c, cats.children(c.code)) for c in cats.children(None)],
        "handlers": handlers,
        "statuses": texts.CARD_STATUS,
        "tiers": texts.TIER_SHORT,
        "sorts": query.SORTS,
    }


def tickets_page(office: Office) -> Any:
    """GET /office/tickets."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def read(u: Unit) -> dict[str, Any]:
            f = query.parse(request.query_params, u)
            found, total, per_status = query.page(u, viewer, f)
            return {
                "f": f,
                "rows": present.rows(u, found),
                "total": total,
                "pages": max(1, -(-total // query.PAGE_SIZE)),
                "counts": per_status,
                "export_limit": export.EXPORT_LIMIT,
                "views": saved.views(u, viewer.person_id),
                "bulk_workers": present.workers_for(u, u.tree.top().id) if viewer.admin else [],
                "bulk_targets": moving.targets(u, _person(u, viewer)) if viewer.admin else [],
                **_options(u, viewer),
            }

        ctx = await office.run(read)
        f = ctx["f"]
        status = 400 if f.errors else 200
        flash = Flash(texts.WEB_BAD_FILTER.format(what="、".join(f.errors)), ok=False) if f.errors else None
        view_error = request.query_params.get("view_error", "")
        if view_error in ("name", "many"):
            flash = Flash(texts.OFFICE[f"view_error_{view_error}"], ok=False)
        return office.page(request, "tickets.html", {"viewer": viewer, "flash": flash, **ctx}, status)

    return page


def _ticket_context(u: Unit, viewer: Viewer, ticket_id: int) -> dict[str, Any] | None:
    ticket = u.session.get(Ticket, ticket_id)
    if ticket is None or not viewer.sees(ticket):
        return None
    admin = viewer.admin_of(ticket)
    handler = ticket.handler_id == viewer.person_id
    # The forms shown follow the transition table: the same statuses the chat commands accept.
    may = {
        "assign": admin and allowed(ticket, Action.ASSIGN),
        "reject": admin and allowed(ticket, Action.REJECT),
        "merge": admin and allowed(ticket, Action.MERGE),
        "tier": (admin or handler) and allowed(ticket, Action.TIER),
        "note": (admin or handler) and allowed(ticket, Action.NOTE),
        "grab": allowed(ticket, Action.GRAB) and not admin,
        "move": admin and movable(ticket),
        # 代为办结: an admin resolves a ticket someone else holds (points: the credited worker or nobody).
        "close": admin and not handler and allowed(ticket, Action.RESOLVE),
        "unfollow": admin,  # remove a resident who follows it by mistake
        # 答复: a consultation is answered in words, which closes it.
        "answer": (admin or handler) and ticket.tier == Tier.CONSULT and allowed(ticket, Action.ANSWER),
        # 滴滴调解: the outcome of a dispute, by its handler or an admin (the chat's 调解 N …).
        "mediate": (admin or handler)
        and allowed(ticket, Action.RESOLVE)
        and is_mediation(u.session, ticket.category_code),
    }
    private = admin or handler  # phone and exact address (DESIGN: handler and admins only)
    if private and (ticket.phone or ticket.address):
        record(
            u.session, u.now, SecurityKind.PRIVATE_VIEWED, person_id=viewer.person_id, detail=f"#{ticket.id}"
        )
    people = present.names(u, {i for i in (ticket.resident_id, ticket.handler_id) if i is not None})
    history = present.resolutions(u, ticket)
    # A resolution is current only while the ticket stands resolved or closed on it.
    current = (
        history[0] if history and ticket.status in CURRENT_RESOLUTION and not history[0].reopened_at else None
    )
    return {
        "t": ticket,
        "city": city_facts(u, ticket),
        "row": present.rows(u, [ticket])[0],
        "current_resolution": current,
        "past_resolutions": history if ticket.reopen_count else [],
        "area": area_label(u, ticket.area_id),
        "due": due_text(u, ticket),
        "resident": ticket.contact_name or people.get(ticket.resident_id, ""),
        "handler_name": people.get(ticket.handler_id, "") if ticket.handler_id else "",
        "private": private,
        "events": present.folded(present.timeline(u, ticket)),
        "may": may,
        "workers": _handlers_for(u, ticket) if may["assign"] or may["close"] else [],
        "move_targets": (
            [(c, label) for c, label in moving.targets(u, _person(u, viewer)) if c != area_code(u, ticket)]
            if may["move"]
            else []
        ),
        "followers": present.followers(u, ticket),
        "tier_choices": {k: v for k, v in texts.TIER_SHORT.items() if k not in (Tier.NONE, Tier.CONSULT)},
        "more_photos": [n for n, _ in ticket_photos.extra(u.session, ticket.id)],
        "mediations": mediation.past(u, ticket.id),
        "enterprise": enterprise.of_ticket(u.session, ticket.id),
    }


PRINT_LIMIT = 500  # tickets on a printed list at most


def ticket_print(office: Office) -> Any:
    """GET /office/tickets/{id}/print: the 交办单 of one ticket, for paper."""

    async def page(request: Request, viewer: Viewer) -> Response:
        ticket_id = int(request.path_params["ticket_id"])
        ctx = await office.run(lambda u: _ticket_context(u, viewer, ticket_id))
        if ctx is None:
            message = texts.WEB_TICKET_HIDDEN.format(id=ticket_id)
            return office.page(request, "message.html", {"viewer": viewer, "message": message}, 404)
        now = office.app.clock.now()
        return office.page(request, "ticket_print.html", {"viewer": viewer, "now": now, **ctx})

    return page


def tickets_print(office: Office) -> Any:
    """GET /office/tickets/print: the filtered list for paper (at most PRINT_LIMIT rows, said when cut)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def read(u: Unit) -> dict[str, Any]:
            f = query.parse(request.query_params, u)
            ids = query.all_ids(u, viewer, f)
            rows = present.rows(u, query.load(u, ids[:PRINT_LIMIT]))
            return {"rows": rows, "total": len(ids), "cut": len(ids) > PRINT_LIMIT, "now": u.now}

        ctx = await office.run(read)
        return office.page(request, "tickets_print.html", {"viewer": viewer, **ctx})

    return page


def area_code(u: Unit, ticket: Ticket) -> str:
    """The code of the ticket's area."""
    return u.tree.by_id[ticket.area_id].code


def ticket_page(office: Office) -> Any:
    """GET /office/tickets/{id}."""

    async def page(request: Request, viewer: Viewer) -> Response:
        ticket_id = int(request.path_params["ticket_id"])
        ctx = await office.run(lambda u: _ticket_context(u, viewer, ticket_id))
        if ctx is None:
            return office.page(
                request,
                "message.html",
                {"viewer": viewer, "message": texts.WEB_TICKET_HIDDEN.format(id=ticket_id)},
                404,
            )
        flash = office.take_flash(viewer.person_id, ticket_id)  # kept by the action, never from the URL
        context = {"viewer": viewer, "flash": flash, "replies": office.replies, **_map(office), **ctx}
        return office.page(request, "ticket.html", context)

    return page


def _handlers_for(u: Unit, ticket: Ticket) -> list[tuple[int, str]]:
    """Who an admin may hand the ticket to: a dispute's mediator team, else the area's workers."""
    if is_mediation(u.session, ticket.category_code):
        team = mediator_team(u.session, u.tree, ticket)
        if team:
            return sorted(((p.id, p.name) for p in team), key=lambda pn: (pn[1], pn[0]))
    return present.workers_for(u, ticket.area_id)


def _person(u: Unit, viewer: Viewer) -> Person:
    person = u.session.get(Person, viewer.person_id)
    if person is None:  # pragma: no cover - the session was just checked
        raise NotAllowed(Refusal.WEB_SESSION_GONE)
    return person


def _number(value: str, what: str) -> int:
    value = value.strip().removeprefix("#")
    if not value.isdigit() or len(value) > 12:
        raise BadInput(Refusal.WEB_NUMBER_REQUIRED, what=what)
    return int(value)


Operation = Callable[[Unit, Person, int, dict[str, str]], str]


def _assign(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    worker_id = _number(form.get("worker", ""), texts.WEB_FIELD_WORKER) if form.get("worker") else None
    worker = u.session.get(Person, worker_id) if worker_id else None
    if worker is None:
        raise BadInput(Refusal.WEB_WORKER_REQUIRED)
    tickets.assign(u, ticket_id, me, worker)
    return worker.name


def _move(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    return moving.move_by_admin(u, me, ticket_id, form.get("area", "").strip())


def _reject(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    tickets.reject(u, ticket_id, me, form.get("reason", ""))
    return ""


def _merge(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    into = _number(form.get("into", ""), texts.WEB_FIELD_MERGE_INTO)
    tickets.merge(u, ticket_id, into, me)
    return str(into)


def _tier(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    tier = form.get("tier", "")
    if tier not in (Tier.SIMPLE, Tier.DIFFICULT, Tier.PENDING):
        raise BadInput(Refusal.USAGE, usage=texts.WEB_TIER_USAGE)
    tickets.change_tier(u, ticket_id, me, tier, form.get("reason", ""))
    return ""


def _note(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    tickets.add_note(u, ticket_id, me, form.get("note", ""))
    return ""


def _answer(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    consult.answer(u, ticket_id, me, form.get("answer", ""))
    return ""


def _grab(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    tickets.grab(u, ticket_id, me)
    return ""


def _close(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    credit_id = _number(form["credit"], texts.WEB_FIELD_CREDIT) if form.get("credit") else None
    credit = u.session.get(Person, credit_id) if credit_id else None
    if credit_id is not None and credit is None:
        raise BadInput(Refusal.WEB_NUMBER_REQUIRED, what=texts.WEB_FIELD_CREDIT)
    note = form.get("note", "").strip() or texts.ON_BEHALF_NOTE
    tickets.resolve(u, ticket_id, me, note, credit)
    return texts.ON_BEHALF_CREDIT.format(user=credit.name) if credit else texts.ON_BEHALF_NO_CREDIT_WEB


def _mediate(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    said = mediation.said_from_form(form)
    mediation.record_said(u, me, ticket_id, said, "web")
    return mediation.outcome_name(said)


def _unfollow(u: Unit, me: Person, ticket_id: int, form: dict[str, str]) -> str:
    follower_id = _number(form.get("person", ""), texts.WEB_FIELD_FOLLOWER)
    follower = u.session.get(Person, follower_id)
    if follower is None:
        raise BadInput(Refusal.NOT_FOLLOWING, id=ticket_id)
    tickets.unfollow(u, ticket_id, follower, me)
    return follower.name


# Each web action and the domain operation it calls (the same one the chat command calls).
OPERATIONS: dict[str, Operation] = {
    "assign": _assign,
    "move": _move,
    "reject": _reject,
    "merge": _merge,
    "tier": _tier,
    "note": _note,
    "grab": _grab,
    "close": _close,
    "unfollow": _unfollow,
    "idea": civic_pages.idea_stage,  # 金点子: the next stage (筛选 N 阶段 理由)
    "answer": _answer,
    "mediate": _mediate,
}


def _act(u: Unit, viewer: Viewer, ticket_id: int, action: str, form: dict[str, str]) -> str:
    """Call the domain operation the chat command calls; return the detail for the flash."""
    operation = OPERATIONS.get(action)
    if operation is None:
        raise BadInput(Refusal.WEB_UNKNOWN_ACTION)
    ticket = u.session.get(Ticket, ticket_id)
    if ticket is None or not viewer.sees(ticket):
        raise NotAllowed(Refusal.WEB_TICKET_HIDDEN, id=ticket_id)
    return operation(u, _person(u, viewer), ticket_id, form)


BULK_ACTIONS = ("reject", "assign", "move", "merge")
BULK_MOST = 200  # tickets in one bulk action at most


def bulk(office: Office) -> Any:
    """POST /office/tickets/bulk: one action on the ticked tickets, each its own domain operation.

    Every ticket goes through the same operation (and transaction) as its own form; one refused does
    not stop the others, and the page lists what happened to each."""

    async def page(request: Request, viewer: Viewer) -> Response:
        data = await request.form()
        name = str(data.get("action", ""))
        form = {k: str(v) for k, v in data.items() if isinstance(v, str) and k not in ("ids", "action")}
        raw = [str(v) for v in data.getlist("ids")]
        ids = list(dict.fromkeys(int(v) for v in raw if v.isdigit() and len(v) < 12))
        if name not in BULK_ACTIONS or not ids or len(ids) > BULK_MOST or len(ids) != len(raw):
            message = texts.OFFICE["bulk_bad"].format(most=BULK_MOST)
            return office.page(request, "message.html", {"viewer": viewer, "message": message}, 400)

        def one(ticket_id: int, u: Unit) -> str:
            return _act(u, viewer, ticket_id, name, form)

        results: list[tuple[int, bool, str]] = []
        for ticket_id in ids:
            try:
                detail = await office.run(partial(one, ticket_id))
                results.append((ticket_id, True, texts.WEB_DONE[name].format(id=ticket_id, detail=detail)))
            except DomainError as refusal:
                results.append((ticket_id, False, refusal_text(refusal)))
        done = sum(1 for _, ok, _ in results if ok)
        summary = texts.OFFICE["bulk_summary"].format(done=done, failed=len(results) - done)
        ctx = {"viewer": viewer, "results": results, "summary": summary, "flash": Flash(summary, ok=done > 0)}
        return office.page(request, "bulk.html", ctx, 200 if done else 400)

    return page


def action(office: Office) -> Any:
    """POST /office/tickets/{id}/{action}: the form's operation in one transaction."""

    async def page(request: Request, viewer: Viewer) -> Response:
        ticket_id = int(request.path_params["ticket_id"])
        name = request.path_params["action"]
        form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            detail = await office.run(lambda u: _act(u, viewer, ticket_id, name, form))
        except DomainError as refusal:
            said = refusal_text(refusal)
            ctx = await office.run(lambda u: _ticket_context(u, viewer, ticket_id))
            if ctx is None:
                return office.page(request, "message.html", {"viewer": viewer, "message": said}, 404)
            return office.page(
                request,
                "ticket.html",
                {
                    "viewer": viewer,
                    "flash": Flash(said, ok=False),
                    "form": form,
                    "form_action": name,
                    "replies": office.replies,
                    **_map(office),
                    **ctx,
                },
                400,
            )
        if name in texts.WEB_DONE:
            office.flash(
                viewer.person_id, ticket_id, Flash(texts.WEB_DONE[name].format(id=ticket_id, detail=detail))
            )
        return RedirectResponse(str(request.url_for("ticket", ticket_id=ticket_id)), status_code=303)

    return page


def _map(office: Office) -> dict[str, Any]:
    return {
        "tiles_url": office.config.web.tiles_url,
        "tiles_attribution": office.config.web.tiles_attribution,
    }


MARKER = {"open": "#1f6fd1", "claimed": "#f28e2b", "resolved": "#2e9d5b"}
OVERDUE = "#d62728"
# A map marker as sent to the page: indexes into the page's lists of statuses and categories.
MARKER_FIELDS = ("id", "lat", "lon", "status", "late", "category", "approx")


def map_page(office: Office) -> Any:
    """GET /office/map: open tickets as coloured markers (grid boundaries when areas have them)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def read(u: Unit) -> dict[str, Any]:
            where = [
                *query.conditions(u, viewer, query.Filters()),
                Ticket.status.in_(ACTIVE),
                Ticket.lat.is_not(None),
            ]
            # Only the columns a marker needs (not whole tickets): the map draws thousands. Late or
            # not is the database's answer (the one definition), so no times are read.
            late = case((late_sql(u.now, u.rules.sla.claim_within), 1), else_=0)
            found = u.session.execute(
                select(
                    Ticket.id,
                    Ticket.lat,
                    Ticket.lon,
                    Ticket.datum,
                    Ticket.status,
                    Ticket.category_code,
                    Ticket.location_approx,
                    late,
                )
                .where(*where)
                .order_by(Ticket.id.desc())
                .limit(MAP_LIMIT)
            ).all()
            # More than the cap: say so, with how many there are in all.
            capped = (
                int(u.session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0)
                if len(found) >= MAP_LIMIT
                else 0
            )
            # Each marker is a short list (MARKER_FIELDS); statuses and categories are named once.
            statuses = [str(s) for s in ACTIVE]
            status_at = {s: i for i, s in enumerate(statuses)}
            codes: dict[str, int] = {}
            markers = []
            for tid, lat, lon, datum, status, code, approx, is_late in found:
                if lat is None or lon is None:  # pragma: no cover - the query asks for a position
                    continue
                lat, lon = present.to_map(u, lat, lon, datum)
                if code not in codes:
                    codes[code] = len(codes)
                markers.append(
                    [
                        tid,
                        round(lat, 6),
                        round(lon, 6),
                        status_at[status],
                        int(is_late),
                        codes[code],
                        int(bool(approx)),
                    ]
                )
            kinds = {
                "statuses": [[texts.CARD_STATUS[s], MARKER.get(s, "#777")] for s in statuses],
                "categories": [category_name(u.session, c) for c in codes],
                "late": [texts.WEB_OVERDUE, OVERDUE],
                "approx": texts.WEB_APPROX,
            }
            # Boundaries: areas that carry a polygon (none in today's area model) are drawn.
            shapes = [
                {"name": a.name, "geojson": getattr(a, "boundary", None)}
                for a in u.tree.by_id.values()
                if getattr(a, "boundary", None) and (viewer.everywhere or a.id in viewer.areas)
            ]
            # Grid centres, so a map without tiles still shows where things are.
            centres = [
                {"name": area_label(u, a.id), "lat": a.lat, "lon": a.lon}
                for a in u.tree.level(AreaLevel.GRID)
                if a.lat is not None and a.lon is not None and (viewer.everywhere or a.id in viewer.areas)
            ]
            top = u.tree.top()
            return {
                "fields": MARKER_FIELDS,
                "markers": markers,
                "kinds": kinds,
                "shapes": shapes,
                "centres": centres,
                "centre": [top.lat or 29.34, top.lon or 120.08],
                "capped": capped,
            }

        ctx = await office.run(read)
        data = json.dumps(ctx, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
        return office.page(
            request,
            "map.html",
            {
                "viewer": viewer,
                "data": data,
                "count": len(ctx["markers"]),
                "capped": ctx["capped"],
                "legend": _legend(),
                **_map(office),
            },
        )

    return page


def _legend() -> list[tuple[str, str]]:
    colours = {**MARKER, "overdue": OVERDUE}
    return [(colours[k], label) for k, label in texts.WEB_MAP_LEGEND.items()]
