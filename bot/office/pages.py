"""The office's pages: tickets, one ticket with its actions, map, statistics, photos and charts."""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from handlers import moving, texts
from handlers.hotline_text import city_facts
from handlers.refusals import refusal_text
from handlers.render import area_label, due_text
from models import tickets
from models.errors import BadInput, DomainError, NotAllowed
from models.refdata import catalogue
from models.store.unit_of_work import Unit
from models.tables import ACTIVE, AreaLevel, Person, Role, RoleGrant, Ticket, Tier
from models.ticket_move import movable
from models.ticket_states import Action, allowed

from . import present, query
from .auth import Viewer
from .context import Flash, Office

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp"}
MAP_LIMIT = 5000


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
                **_options(u, viewer),
            }

        ctx = await office.run(read)
        f = ctx["f"]
        status = 400 if f.errors else 200
        flash = Flash(texts.WEB_BAD_FILTER.format(what="、".join(f.errors)), ok=False) if f.errors else None
        return office.page(request, "tickets.html", {"viewer": viewer, "flash": flash, **ctx}, status)

    return page


ACTIONS = ("assign", "move", "reject", "merge", "tier", "note", "grab", "close")


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
    }
    private = admin or handler  # phone and exact address (DESIGN: handler and admins only)
    people = present.names(u, {i for i in (ticket.resident_id, ticket.handler_id) if i is not None})
    photo = bool(ticket.photo) and Path(ticket.photo or "").suffix.lower() in PHOTO_SUFFIXES
    result_photo = (
        bool(ticket.resolution_photo) and Path(ticket.resolution_photo or "").suffix.lower() in PHOTO_SUFFIXES
    )
    return {
        "t": ticket,
        "city": city_facts(u, ticket),
        "row": present.rows(u, [ticket])[0],
        "area": area_label(u, ticket.area_id),
        "due": due_text(u, ticket),
        "resident": ticket.contact_name or people.get(ticket.resident_id, ""),
        "handler_name": people.get(ticket.handler_id, "") if ticket.handler_id else "",
        "private": private,
        "photo": photo,
        "result_photo": result_photo,
        "events": present.timeline(u, ticket),
        "may": may,
        "workers": present.workers_for(u, ticket.area_id) if may["assign"] or may["close"] else [],
        "move_targets": (
            [(c, label) for c, label in moving.targets(u, _person(u, viewer)) if c != area_code(u, ticket)]
            if may["move"]
            else []
        ),
        "followers": present.followers(u, ticket),
        "tier_choices": {k: v for k, v in texts.TIER_SHORT.items() if k != Tier.NONE},
    }


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
        done = request.query_params.get("done", "")
        flash = None
        if done in texts.WEB_DONE:
            flash = Flash(
                texts.WEB_DONE[done].format(id=ticket_id, detail=request.query_params.get("detail", ""))
            )
        return office.page(request, "ticket.html", {"viewer": viewer, "flash": flash, **_map(office), **ctx})

    return page


def _person(u: Unit, viewer: Viewer) -> Person:
    person = u.session.get(Person, viewer.person_id)
    if person is None:  # pragma: no cover - the session was just checked
        raise NotAllowed(texts.WEB_SESSION_GONE)
    return person


def _number(value: str, what: str) -> int:
    value = value.strip().removeprefix("#")
    if not value.isdigit() or len(value) > 12:
        raise BadInput(texts.WEB_NUMBER_REQUIRED.format(what=what))
    return int(value)


def _act(u: Unit, viewer: Viewer, ticket_id: int, action: str, form: dict[str, str]) -> str:
    """Call the domain operation the chat command calls; return the detail for the flash."""
    ticket = u.session.get(Ticket, ticket_id)
    if ticket is None or not viewer.sees(ticket):
        raise NotAllowed(texts.WEB_TICKET_HIDDEN.format(id=ticket_id))
    me = _person(u, viewer)
    if action == "assign":
        worker_id = _number(form.get("worker", ""), texts.WEB_FIELD_WORKER) if form.get("worker") else None
        worker = u.session.get(Person, worker_id) if worker_id else None
        if worker is None:
            raise BadInput(texts.WEB_WORKER_REQUIRED)
        tickets.assign(u, ticket_id, me, worker)
        return worker.name
    if action == "move":
        return moving.move_by_admin(u, me, ticket_id, form.get("area", "").strip())
    if action == "reject":
        tickets.reject(u, ticket_id, me, form.get("reason", ""))
        return ""
    if action == "merge":
        into = _number(form.get("into", ""), texts.WEB_FIELD_MERGE_INTO)
        tickets.merge(u, ticket_id, into, me)
        return str(into)
    if action == "tier":
        tier = form.get("tier", "")
        if tier not in (Tier.SIMPLE, Tier.DIFFICULT, Tier.PENDING):
            raise BadInput(texts.USAGE.format(usage=texts.WEB_TIER_USAGE))
        tickets.change_tier(u, ticket_id, me, tier, form.get("reason", ""))
        return ""
    if action == "note":
        tickets.add_note(u, ticket_id, me, form.get("note", ""))
        return ""
    if action == "grab":
        tickets.grab(u, ticket_id, me)
        return ""
    if action == "close":
        credit_id = _number(form["credit"], texts.WEB_FIELD_CREDIT) if form.get("credit") else None
        credit = u.session.get(Person, credit_id) if credit_id else None
        if credit_id is not None and credit is None:
            raise BadInput(texts.WEB_NUMBER_REQUIRED.format(what=texts.WEB_FIELD_CREDIT))
        note = form.get("note", "").strip() or texts.ON_BEHALF_NOTE
        tickets.resolve(u, ticket_id, me, note, credit)
        return texts.ON_BEHALF_CREDIT.format(user=credit.name) if credit else texts.ON_BEHALF_NO_CREDIT_WEB
    if action == "unfollow":
        follower_id = _number(form.get("person", ""), texts.WEB_FIELD_FOLLOWER)
        follower = u.session.get(Person, follower_id)
        if follower is None:
            raise BadInput(texts.NOT_FOLLOWING.format(id=ticket_id))
        tickets.unfollow(u, ticket_id, follower, me)
        return follower.name
    raise BadInput(texts.WEB_UNKNOWN_ACTION)


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
                    **_map(office),
                    **ctx,
                },
                400,
            )
        target = request.url_for("ticket", ticket_id=ticket_id).include_query_params(done=name, detail=detail)
        return RedirectResponse(str(target), status_code=303)

    return page


def _map(office: Office) -> dict[str, Any]:
    return {
        "tiles_url": office.config.web.tiles_url,
        "tiles_attribution": office.config.web.tiles_attribution,
    }


MARKER = {"open": "#1f6fd1", "claimed": "#f28e2b", "resolved": "#2e9d5b"}
OVERDUE = "#d62728"


def map_page(office: Office) -> Any:
    """GET /office/map: open tickets as coloured markers (grid boundaries when areas have them)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        def read(u: Unit) -> dict[str, Any]:
            where = query.conditions(u, viewer, query.Filters())
            found = list(
                u.session.scalars(
                    select(Ticket)
                    .where(*where, Ticket.status.in_(ACTIVE), Ticket.lat.is_not(None))
                    .order_by(Ticket.id.desc())
                    .limit(MAP_LIMIT)
                )
            )
            approx = {t.id for t in found if t.location_approx}
            markers = [
                {
                    "id": r.id,
                    "lat": r.lat,
                    "lon": r.lon,
                    "color": OVERDUE if r.overdue else MARKER.get(r.status, "#777"),
                    "label": f"#{r.id} {r.category} · {r.status_label}"
                    + (f" · {texts.WEB_OVERDUE}" if r.overdue else "")
                    + (f" · {texts.WEB_APPROX}" if r.id in approx else ""),
                }
                for r in present.rows(u, found)
            ]
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
                "markers": markers,
                "shapes": shapes,
                "centres": centres,
                "centre": [top.lat or 29.34, top.lon or 120.08],
            }

        ctx = await office.run(read)
        data = json.dumps(ctx, ensure_ascii=False).replace("</", "<\\/")
        return office.page(
            request,
            "map.html",
            {
                "viewer": viewer,
                "data": data,
                "count": len(ctx["markers"]),
                "legend": _legend(),
                **_map(office),
            },
        )

    return page


def _legend() -> list[tuple[str, str]]:
    colours = {**MARKER, "overdue": OVERDUE}
    return [(colours[k], label) for k, label in texts.WEB_MAP_LEGEND.items()]


def photo(office: Office) -> Any:
    """GET /office/tickets/{id}/photo/{which}: a locally stored photo, to those who see the ticket."""

    async def page(request: Request, viewer: Viewer) -> Response:
        ticket_id = int(request.path_params["ticket_id"])
        which = request.path_params["which"]

        def read(u: Unit) -> str | None:
            t = u.session.get(Ticket, ticket_id)
            if t is None or not viewer.sees(t):
                return None
            return t.photo if which == "report" else t.resolution_photo if which == "result" else None

        path = await office.run(read)
        if not path or Path(path).suffix.lower() not in PHOTO_SUFFIXES or not Path(path).is_file():
            return Response(status_code=404)
        return FileResponse(path, media_type=mimetypes.guess_type(path)[0] or "application/octet-stream")

    return page


CHART_NAME = re.compile(r"^stats-[a-z0-9-]+\.png$")


def chart_file(office: Office) -> Any:
    """GET /office/charts/{name}: a chart the statistics page drew."""

    async def page(request: Request, viewer: Viewer) -> Response:
        name = request.path_params["name"]
        path = Path(office.config.rules.chart_dir) / name
        if not CHART_NAME.match(name) or not path.is_file():
            return Response(status_code=404)
        return FileResponse(path, media_type="image/png")

    return page


def as_dict(row: present.Row) -> dict[str, Any]:
    """A row as plain values (tests and JSON)."""
    return asdict(row)
