"""The web office (工单后台), the resident's progress page and the Open311 GeoReport v2 API."""

from __future__ import annotations

import secrets

from asgi_csrf import asgi_csrf
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import App
from bot.config import Config

from . import export, hotline_api, open311, pages, statistics
from .auth import login_routes, signed_in
from .context import HERE, Office
from .progress import progress


def office_app(office: Office, secret: str) -> Starlette:
    """The signed-in pages, behind CSRF protection for every form."""
    show, spend, sign_out = login_routes(office)

    async def home(request: Request) -> Response:
        return RedirectResponse(request.url_for("tickets"), status_code=303)

    routes: list[BaseRoute] = [
        Route("/", home),
        Route("/login/{token}", show, methods=["GET"], name="login"),
        Route("/login/{token}", spend, methods=["POST"], name="login_post"),
        Route("/logout", sign_out, methods=["POST"], name="logout"),
        Route("/tickets", signed_in(office, pages.tickets_page(office)), name="tickets"),
        Route("/tickets.xlsx", signed_in(office, export.export(office, "xlsx")), name="export_xlsx"),
        Route("/tickets.csv", signed_in(office, export.export(office, "csv")), name="export_csv"),
        Route("/tickets/{ticket_id:int}", signed_in(office, pages.ticket_page(office)), name="ticket"),
        Route("/tickets/{ticket_id:int}/photo/{which}", signed_in(office, pages.photo(office)), name="photo"),
        Route(
            "/tickets/{ticket_id:int}/{action}",
            signed_in(office, pages.action(office)),
            methods=["POST"],
            name="action",
        ),
        Route("/map", signed_in(office, pages.map_page(office)), name="map"),
        Route("/stats", signed_in(office, statistics.stats_page(office), admin=True), name="stats"),
        Route("/charts/{name}", signed_in(office, pages.chart_file(office), admin=True), name="chart"),
        Route("/report/week.xlsx", signed_in(office, export.weekly(office), admin=True), name="weekly"),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    csrf = Middleware(
        asgi_csrf,
        signing_secret=secret,
        cookie_secure=office.secure,
        cookie_samesite="Lax",
    )
    return Starlette(routes=routes, middleware=[csrf])


def routes(app: App, config: Config) -> list[BaseRoute]:
    """Every route of the web office (when [web] base_url is set) and of Open311 (when keys are set)."""
    office = Office(app, config)
    out: list[BaseRoute] = []
    if config.web.base_url:
        protected = office_app(office, config.web.secret or secrets.token_hex(32))
        out += [Mount("/office", app=protected), Route("/t/{token}", progress(office), name="progress")]
    if config.open311.api_keys:
        out.append(Mount("/open311/v2", routes=open311.routes(office)))
    if config.hotline.sources:
        out.append(Mount("/hotline/v1", routes=hotline_api.routes(office)))
    return out


def enabled(config: Config) -> bool:
    """Tell whether `jiesu run` has web routes to serve even without a chat channel."""
    return bool(config.web.base_url or config.open311.api_keys or config.hotline.sources)
