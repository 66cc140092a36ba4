"""The resident's progress page (问政 "track progress"): status and public timeline by token."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from handlers import texts
from handlers.masking import mask_private
from handlers.render import area_label, category_name, due_text
from models import office
from models.events import STAFF_ONLY
from models.store.unit_of_work import Unit
from models.tables import TicketEvent

from .context import Office

# Notes a resident was told in chat anyway; other notes (staff-only reasons) stay inside.
PUBLIC_NOTES = ("note", "resolved", "rejected", "plan")


def progress(office_: Office) -> Any:
    """GET /t/{token}: no phone, no exact address, no staff phone numbers."""

    async def page(request: Request) -> Response:
        token = request.path_params["token"]

        def read(u: Unit) -> dict[str, Any] | None:
            t = office.ticket_by_token(u.session, token)
            if t is None:
                return None
            events = u.session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == t.id, TicketEvent.kind.not_in(STAFF_ONLY))
                .order_by(TicketEvent.id)
            )
            return {
                "id": t.id,
                "status": texts.STATUS[t.status],
                "final": t.status in ("closed", "withdrawn", "rejected", "merged"),
                "category": category_name(u.session, t.category_code),
                "area": area_label(u, t.area_id),
                "description": mask_private(t.description),
                "tier": texts.TIER[t.tier],
                "due": due_text(u, t),
                "created": t.created_at,
                "events": [
                    (
                        e.at,
                        texts.EVENT_NAME[e.kind],
                        mask_private(e.note) if e.kind in PUBLIC_NOTES and e.note else "",
                    )
                    for e in events
                ],
            }

        ctx = await office_.run(read)
        if ctx is None:
            return office_.page(
                request, "message.html", {"message": texts.TRACK_NOT_FOUND, "public": True}, 404
            )
        response = office_.page(request, "progress.html", {"p": ctx, "public": True})
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return page
