"""Saved views: a person's named filters of the tickets list, kept as URL queries."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from handlers.textclean import clean
from models.store.unit_of_work import Unit
from models.tables import KeyValue

from . import query
from .auth import Viewer
from .context import Office

MOST = 20  # views per person
NAME_MAX = 20


def _key(person_id: int) -> str:
    return f"office-views:{person_id}"


def views(u: Unit, person_id: int) -> dict[str, str]:
    """A person's saved views: name to the tickets list's URL query, in the order saved."""
    row = u.session.get(KeyValue, _key(person_id))
    if row is None:
        return {}
    found = json.loads(row.value)
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _store(u: Unit, person_id: int, found: dict[str, str]) -> None:
    row = u.session.get(KeyValue, _key(person_id))
    value = json.dumps(found, ensure_ascii=False)
    if row is None:
        u.session.add(KeyValue(key=_key(person_id), value=value, expires_at=None, updated_at=u.now))
    else:
        row.value, row.updated_at = value, u.now


def save(u: Unit, person_id: int, name: str, params: str) -> str | None:
    """Keep the list's filters under a name (the same name replaces); None, or why not (a key)."""
    name = clean(name).replace("\n", " ").strip()
    if not name or len(name) > NAME_MAX:
        return "name"
    # Only the filters the list knows, normalised as the list writes them; never a page number.
    f = query.parse(dict(parse_qsl(params)), u)
    found = views(u, person_id)
    if name not in found and len(found) >= MOST:
        return "many"
    found[name] = f.query(page=1)
    _store(u, person_id, found)
    return None


def drop(u: Unit, person_id: int, name: str) -> None:
    """Forget one saved view (nothing happens when there is none of that name)."""
    found = views(u, person_id)
    if found.pop(name, None) is not None:
        _store(u, person_id, found)


def save_route(office: Office) -> Any:
    """POST /office/views: save (name, query) or, with drop=1, forget a view; back to the list."""

    async def page(request: Request, viewer: Viewer) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
        name = form.get("name", "")
        params = form.get("query", "")
        if form.get("drop"):
            await office.run(lambda u: drop(u, viewer.person_id, name))
            return RedirectResponse(str(request.url_for("tickets")), status_code=303)
        error = await office.run(lambda u: save(u, viewer.person_id, name, params))
        back = f"{request.url_for('tickets')}?{urlencode(dict(parse_qsl(params)))}"
        if error is not None:
            back += ("&" if params else "") + f"view_error={error}"
        return RedirectResponse(back, status_code=303)

    return page
