"""The web office (工单后台), the resident's progress page and the Open311 GeoReport v2 API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import App
from bot.config import Config

from . import (
    civic_pages,
    export,
    hotline_api,
    open311,
    pages,
    photos,
    saved,
    second_factor_page,
    security_page,
    statistics,
    today,
)
from .auth import login_routes, signed_in
from .context import HERE, Office
from .progress import progress


class RowId(IntegerConvertor):
    """A row id in a path: at most 15 digits, so no id overflows a database integer (404 instead)."""

    regex = "[0-9]{1,15}"


register_url_convertor("id", RowId())


def office_app(office: Office) -> Starlette:
    """The signed-in pages (every form's CSRF token is bound to the session: see auth)."""
    show, spend, sign_out = login_routes(office)

    async def home(request: Request) -> Response:
        return RedirectResponse(request.url_for("tickets"), status_code=303)

    routes: list[BaseRoute] = [
        Route("/", home),
        Route("/login/{token}", show, methods=["GET"], name="login"),
        Route("/login/{token}", spend, methods=["POST"], name="login_post"),
        Route("/logout", sign_out, methods=["POST"], name="logout"),
        Route("/today", signed_in(office, today.today_page(office)), name="today"),
        Route("/tickets", signed_in(office, pages.tickets_page(office)), name="tickets"),
        Route("/tickets.xlsx", signed_in(office, export.export(office, "xlsx")), name="export_xlsx"),
        Route("/tickets.csv", signed_in(office, export.export(office, "csv")), name="export_csv"),
        Route("/tickets/bulk", signed_in(office, pages.bulk(office)), methods=["POST"], name="bulk"),
        Route("/tickets/print", signed_in(office, pages.tickets_print(office)), name="tickets_print"),
        Route("/tickets/{ticket_id:id}", signed_in(office, pages.ticket_page(office)), name="ticket"),
        Route(
            "/tickets/{ticket_id:id}/print",
            signed_in(office, pages.ticket_print(office)),
            name="ticket_print",
        ),
        Route("/tickets/{ticket_id:id}/photo/{which}", signed_in(office, photos.photo(office)), name="photo"),
        Route(
            "/tickets/{ticket_id:id}/{action}",
            signed_in(office, pages.action(office)),
            methods=["POST"],
            name="action",
        ),
        Route("/views", signed_in(office, saved.save_route(office)), methods=["POST"], name="views"),
        Route("/ideas", signed_in(office, civic_pages.ideas_page(office), admin=True), name="ideas"),
        Route(
            "/visits",
            signed_in(office, civic_pages.visits_page(office)),
            methods=["GET", "POST"],
            name="visits",
        ),
        Route("/visits/{visit_id:id}", signed_in(office, civic_pages.visit_page(office)), name="visit"),
        Route(
            "/visits/{visit_id:id}/print",
            signed_in(office, civic_pages.visit_page(office, "visit_print.html")),
            name="visit_print",
        ),
        Route(
            "/visits/{visit_id:id}/jiaoban.xlsx",
            signed_in(office, civic_pages.visit_workbook(office)),
            name="visit_xlsx",
        ),
        Route("/map", signed_in(office, pages.map_page(office)), name="map"),
        Route("/stats", signed_in(office, statistics.stats_page(office), admin=True), name="stats"),
        Route(
            "/stats/chart/{period}/{community}",
            signed_in(office, statistics.stats_chart(office), admin=True),
            name="stats_chart",
        ),
        Route("/report/week.xlsx", signed_in(office, export.weekly(office), admin=True), name="weekly"),
        Route(
            "/security", signed_in(office, security_page.security_page(office), admin=True), name="security"
        ),
        Route(
            "/security.csv",
            signed_in(office, security_page.security_csv(office), admin=True),
            name="security_csv",
        ),
        Route(
            "/second-factor",
            signed_in(office, second_factor_page.second_factor_page(office)),
            methods=["GET", "POST"],
            name="second_factor",
        ),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(routes=routes)


def routes(app: App, config: Config) -> list[BaseRoute]:
    """Every route of the web office (when [web] base_url is set) and of Open311 (when keys are set)."""
    office = Office(app, config)
    out: list[BaseRoute] = []
    if config.web.base_url:
        protected = office_app(office)
        out += [Mount("/office", app=protected), Route("/t/{token}", progress(office), name="progress")]
    if config.open311.api_keys:
        out.append(Mount("/open311/v2", routes=open311.routes(office)))
    if config.hotline.sources:
        out.append(Mount("/hotline/v1", routes=hotline_api.routes(office)))
    return out


def enabled(config: Config) -> bool:
    """Tell whether `jiesu run` has web routes to serve even without a chat channel."""
    return bool(config.web.base_url or config.open311.api_keys or config.hotline.sources)
