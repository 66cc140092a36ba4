"""Sign-in by link, the session cookie, and what each signed-in person may see."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from sqlalchemy import or_
from sqlalchemy.sql.elements import ColumnElement
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from handlers import texts
from models import office, second_factor
from models.people import grants_of
from models.store.unit_of_work import Unit
from models.tables import AreaLevel, Role, Ticket
from models.volunteers import office_grants

from .context import Flash, Office
from .throttle import Throttle

COOKIE = "jiesu_session"
FORM_FIELD = "csrftoken"


def form_token(office_: Office, bound_to: str) -> str:
    """The CSRF token of forms for one session cookie (or one sign-in link): an HMAC, nothing stored."""
    return hmac.new(office_.secret.encode(), f"csrf:{bound_to}".encode(), hashlib.sha256).hexdigest()


async def form_is_genuine(office_: Office, request: Request, bound_to: str) -> bool:
    """Tell whether a POST carries the token of this session (no header or client exempts it)."""
    try:
        form = await request.form()
    except (ValueError, KeyError, UnicodeDecodeError):  # a body that is no form
        return False
    given = form.get(FORM_FIELD)
    return isinstance(given, str) and hmac.compare_digest(given, form_token(office_, bound_to))


def _forged(office_: Office, request: Request) -> Response:
    return office_.page(request, "message.html", {"message": texts.WEB_FORM_FORGED}, 403)


@dataclass(frozen=True)
class Viewer:
    """A signed-in staff member and the areas their roles cover."""

    person_id: int
    name: str
    admin: bool
    everywhere: bool  # an admin of the whole subdistrict
    areas: frozenset[int]  # every area under any of their grants
    admin_areas: frozenset[int]  # every area under their admin grants
    communities: tuple[int, ...]  # communities they may filter by
    second_factor: bool = False  # signs in with a TOTP code too

    def where(self) -> ColumnElement[bool] | None:
        """The tickets this viewer may see, as a WHERE clause (None: all of them)."""
        if self.everywhere:
            return None
        return or_(Ticket.area_id.in_(self.areas), Ticket.handler_id == self.person_id)

    def sees(self, ticket: Ticket) -> bool:
        """Tell whether this viewer may see the ticket."""
        return self.everywhere or ticket.area_id in self.areas or ticket.handler_id == self.person_id

    def admin_of(self, ticket: Ticket) -> bool:
        """Tell whether this viewer is an admin over the ticket's area."""
        return self.everywhere or ticket.area_id in self.admin_areas


def viewer_of(u: Unit, person_id: int, name: str) -> Viewer | None:
    """The viewer for a person, or None when they hold no staff role."""
    grants = office_grants(grants_of(u.session, person_id))  # a volunteer has no office to sign in to
    if not grants:
        return None
    tree = u.tree
    areas: set[int] = set()
    admin_areas: set[int] = set()
    for g in grants:
        sub = tree.subtree_ids(g.area_id)
        areas |= sub
        if g.role == Role.ADMIN:
            admin_areas |= sub
    top = tree.top().id
    everywhere = top in admin_areas
    communities = tuple(
        a.id
        for a in sorted(tree.level(AreaLevel.COMMUNITY), key=lambda a: a.id)  # in the order they were set up
        if everywhere or a.id in areas or any(tree.is_within(x, a.id) for x in areas)
    )
    return Viewer(
        person_id=person_id,
        name=name,
        admin=bool(admin_areas),
        everywhere=everywhere,
        areas=frozenset(areas),
        admin_areas=frozenset(admin_areas),
        communities=communities,
    )


async def current(office_: Office, request: Request) -> Viewer | None:
    """The viewer behind the request's session cookie (None: not signed in, lapsed, or no role)."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None

    def read(u: Unit) -> Viewer | None:
        person = office.session_person(u.session, cookie, u.now)
        if person is None:
            return None
        viewer = viewer_of(u, person.id, person.name)
        if viewer is None or second_factor.of(u.session, person.id) is None:
            return viewer
        return replace(viewer, second_factor=True)

    return await office_.run(read)


Page = Callable[[Request, Viewer], Awaitable[Response]]


def signed_in(
    office_: Office, page: Page, *, admin: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a page: anyone not signed in is told how to sign in; admin pages refuse workers."""

    async def endpoint(request: Request) -> Response:
        viewer = await current(office_, request)
        if viewer is None:
            response = office_.page(request, "message.html", {"message": texts.WEB_SESSION_GONE}, 401)
            response.delete_cookie(COOKIE, path="/")
            return response
        cookie = request.cookies[COOKIE]
        request.scope["csrftoken"] = lambda: form_token(office_, cookie)
        # Where admins must sign in with a code too, they set it up before anything else.
        setting_up = getattr(request.scope.get("route"), "name", "") == "second_factor"
        must = office_.config.web.second_factor == "required" and viewer.admin and not viewer.second_factor
        if must and not setting_up:
            return RedirectResponse(str(request.url_for("second_factor")), status_code=303)
        if admin and not viewer.admin:
            return office_.page(
                request, "message.html", {"message": texts.WEB_FORBIDDEN, "viewer": viewer}, 403
            )
        if request.method == "POST" and not await form_is_genuine(office_, request, cookie):
            return _forged(office_, request)
        return await page(request, viewer)

    return endpoint


_LINK_TEXTS = {
    "used": texts.WEB_LINK_USED,
    "expired": texts.WEB_LINK_EXPIRED,
    "unknown": texts.WEB_LINK_UNKNOWN,
    "locked": texts.WEB_LOCKED.format(minutes=int(office.WINDOW.total_seconds() // 60)),
}
_LINK_STATUS = {"unknown": 404, "locked": 429}
LINK_USE_RATE = "10/minute"  # sign-in attempts per client address (guessing tokens is hopeless anyway)


def login_routes(office_: Office) -> tuple[Callable[[Request], Awaitable[Response]], ...]:
    """GET shows a sign-in button (link previews must not spend the link); POST signs in; sign-out."""
    attempts = Throttle(LINK_USE_RATE)

    async def show(request: Request) -> Response:
        token = request.path_params["token"]
        state = await office_.run(lambda u: office.check_link(u.session, token, u.now))
        if state.kind != "ok":
            return office_.page(
                request,
                "message.html",
                {"message": _LINK_TEXTS[state.kind]},
                410 if state.kind != "unknown" else 404,
            )
        request.scope["csrftoken"] = lambda: form_token(office_, f"login:{token}")
        needs_code = state.person_id is not None and await office_.run(
            lambda u: second_factor.of(u.session, state.person_id or 0) is not None
        )
        return office_.page(request, "login.html", {"token": token, "needs_code": needs_code})

    async def spend(request: Request) -> Response:
        token = request.path_params["token"]
        if not attempts.allow(request.client.host if request.client else "-"):
            return office_.page(request, "message.html", {"message": texts.WEB_SLOW_DOWN}, 429)
        if not await form_is_genuine(office_, request, f"login:{token}"):
            return _forged(office_, request)

        code = str((await request.form()).get("code", ""))

        def use(u: Unit) -> tuple[str, str | None, bool, str | None]:
            seen = office.check_link(u.session, token, u.now)
            if (
                seen.kind == "ok"
                and seen.person_id is not None
                and not office.locked_out(u.session, seen.person_id, u.now)
            ):
                factor = second_factor.of(u.session, seen.person_id)
                if factor is not None and not second_factor.check(factor, code, u.now):
                    office.refuse(u.session, office.LinkState("code", seen.person_id), u.now)
                    return "code", None, False, None
            state, cookie = office.use_link(u.session, token, u.now)
            staff = state.person_id is not None and bool(office_grants(grants_of(u.session, state.person_id)))
            return state.kind, cookie, staff, state.next_path

        kind, cookie, staff, next_path = await office_.run(use)
        if kind == "code":  # the link stays unspent: the person may type the code again
            request.scope["csrftoken"] = lambda: form_token(office_, f"login:{token}")
            context = {"token": token, "needs_code": True, "flash": Flash(texts.WEB_CODE_WRONG, ok=False)}
            return office_.page(request, "login.html", context, 400)
        if kind != "ok" or cookie is None:
            return office_.page(
                request, "message.html", {"message": _LINK_TEXTS[kind]}, _LINK_STATUS.get(kind, 410)
            )
        if not staff:
            return office_.page(request, "message.html", {"message": texts.WEB_NOT_STAFF}, 403)
        # A link made for one page (the weekly workbook sent to WeChat) opens it; others the list.
        target = next_path if next_path and next_path.startswith("/office/") else request.url_for("tickets")
        response = RedirectResponse(str(target), status_code=303)
        response.set_cookie(
            COOKIE,
            cookie,
            # The browser keeps it as long as a session can last; the server ends it when idle.
            max_age=int(office.SESSION_ABSOLUTE.total_seconds()),
            path="/",
            httponly=True,
            samesite="lax",
            secure=office_.secure,
        )
        return response

    async def sign_out(request: Request) -> Response:
        cookie = request.cookies.get(COOKIE)
        if cookie and not await form_is_genuine(office_, request, cookie):
            return _forged(office_, request)
        if cookie:
            await office_.run(lambda u: office.end_session(u.session, cookie, u.now))
        response = office_.page(request, "message.html", {"message": texts.WEB_SIGNED_OUT})
        response.delete_cookie(COOKIE, path="/")
        return response

    return show, spend, sign_out
