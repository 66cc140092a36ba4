"""Open311 GeoReport v2 under /open311/v2/: discovery, services, requests (read and write), tokens."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import nh3
from sqlalchemy import DateTime, func, select, type_coerce
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from handlers import texts
from handlers.masking import mask_private
from handlers.notify import post_card
from handlers.refusals import refusal_text
from handlers.render import area_label
from models import office, tickets
from models.address_place import place
from models.errors import DomainError
from models.geo import Datum, convert
from models.people import API_CHANNEL, get_or_create_person
from models.refdata import catalogue
from models.routing import How, router_for
from models.security_log import SecurityKind, record
from models.store.unit_of_work import Unit
from models.tables import ACTIVE, FINAL, Category, Ticket, TicketEvent, TicketLink

from .context import Office
from .throttle import Throttle

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANNEL = API_CHANNEL
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Element names of list items in the XML answers.
ITEMS = {"services": "service", "service_requests": "request", "errors": "error"}


class ApiError(Exception):
    """An error answered in the GeoReport error format."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _xml(root: str, value: Any) -> bytes:
    def fill(parent: ET.Element, name: str, v: Any) -> None:
        if isinstance(v, list):
            el = ET.SubElement(parent, name)
            for item in v:
                fill(el, ITEMS.get(name, name.rstrip("s")), item)
        elif isinstance(v, dict):
            el = ET.SubElement(parent, name)
            for k, sub in v.items():
                fill(el, k, sub)
        else:
            el = ET.SubElement(parent, name)
            if v is not None:
                el.text = str(v).lower() if isinstance(v, bool) else str(v)

    top = ET.Element(root)
    if isinstance(value, list):
        for item in value:
            fill(top, ITEMS.get(root, root), item)
    else:
        for k, v in value.items():
            fill(top, k, v)
    body: bytes = ET.tostring(top, encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>' + body


def answer(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    """The same data as JSON or XML."""
    if fmt == "xml":
        return Response(_xml(root, value), status_code=status, media_type=FORMATS["xml"])
    body = json.dumps(value, ensure_ascii=False)
    return Response(body, status_code=status, media_type=FORMATS["json"])


def error(fmt: str, status: int, description: str) -> Response:
    """GeoReport's error list."""
    return answer(
        fmt if fmt in FORMATS else "json", "errors", [{"code": status, "description": description}], status
    )


def parse_iso(value: str, field: str) -> datetime:
    """A W3C/ISO 8601 date-time from a query (a bare date counts as its start, in UTC)."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise ApiError(400, texts.O311_BAD_VALUE.format(field=field)) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when


def _leaves(u: Unit) -> list[Category]:
    cats = catalogue(u.session)
    out = []
    for top in cats.children(None):
        kids = cats.children(top.code)
        out.extend(kids or [top])
    return out


def _service(u: Unit, c: Category) -> dict[str, Any]:
    cats = catalogue(u.session)
    parent = cats.get(c.parent_code) if c.parent_code else None
    group = parent.name if parent is not None else c.name
    return {
        "service_code": c.code,
        "service_name": cats.full_name(c.code),
        "description": f"{cats.full_name(c.code)}（{texts.TIER[c.default_tier]}）",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": group,
    }


# Times are read as stored (naive UTC, no aware datetime made per value): Labels.iso formats them.
_STORED = DateTime()

PUBLIC_COLUMNS = (
    Ticket.id,
    Ticket.status,
    Ticket.reason,
    Ticket.category_code,
    Ticket.description,
    Ticket.area_id,
    Ticket.tier,
    type_coerce(Ticket.created_at, _STORED),
    type_coerce(Ticket.due_at, _STORED),
    Ticket.lat,
    Ticket.lon,
    Ticket.datum,
    Ticket.media_url,
    # When it last changed: its latest event, read from the index on (ticket_id, at) row by row.
    select(func.max(type_coerce(TicketEvent.at, _STORED)))
    .where(TicketEvent.ticket_id == Ticket.id)
    .scalar_subquery(),
)


class LocalTimes:
    """Stored times (naive UTC) as ISO 8601 local times with their offset, as astimezone writes them."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        # Per UTC day (its ordinal): the zone's offset all that day and how it is written (+08:00),
        # or None for a day on which the offset changes (then each time is converted on its own).
        self._days: dict[int, tuple[timedelta, str] | None] = {}

    def _shift(self, day: int) -> tuple[timedelta, str] | None:
        start = datetime.fromordinal(day).replace(tzinfo=UTC)
        points = [start + timedelta(hours=h) for h in range(24)] + [
            start + timedelta(days=1, microseconds=-1)
        ]
        local = [p.astimezone(self.zone) for p in points]
        offsets = {t.utcoffset() for t in local}
        offset = local[0].utcoffset()
        shift = (
            (offset, local[0].isoformat(timespec="seconds")[19:])
            if len(offsets) == 1 and offset is not None
            else None
        )
        self._days[day] = shift
        return shift

    def iso(self, stored: datetime | None) -> str | None:
        """ISO 8601 with the local offset, of a time as stored (naive UTC)."""
        if stored is None:
            return None
        day = stored.toordinal()
        shift = self._days[day] if day in self._days else self._shift(day)
        if shift is None:
            return stored.replace(tzinfo=UTC).astimezone(self.zone).isoformat(timespec="seconds")
        return (stored + shift[0]).isoformat(timespec="seconds") + shift[1]


_LOCAL_TIMES: dict[str, LocalTimes] = {}


def local_times(zone: str) -> LocalTimes:
    """The zone's LocalTimes, kept for the process (what it learns of each day serves every answer)."""
    if zone not in _LOCAL_TIMES:
        _LOCAL_TIMES[zone] = LocalTimes(ZoneInfo(zone))
    return _LOCAL_TIMES[zone]


class Labels:
    """Names of areas and services, and local times, looked up once per answer."""

    def __init__(self, u: Unit) -> None:
        self.u = u
        self.cats = catalogue(u.session)
        self._areas: dict[int, str] = {}
        self._services: dict[str, str] = {}
        self.iso = local_times(u.rules.sla.timezone).iso

    def area(self, area_id: int) -> str:
        """Community and grid, e.g. 四季社区 第一网格."""
        if area_id not in self._areas:
            self._areas[area_id] = area_label(self.u, area_id)
        return self._areas[area_id]

    def service(self, code: str) -> str:
        """The service's full name."""
        if code not in self._services:
            self._services[code] = self.cats.full_name(code)
        return self._services[code]


def public_request(labels: Labels, t: Any, token: str | None = None) -> dict[str, Any]:
    """A ticket (a row of PUBLIC_COLUMNS) as GET answers it: no phone, e-mail, name, address or point."""
    # Unpacked at once: a row's attributes by name cost more than the rest of this function.
    (
        ticket_id,
        status,
        reason,
        code,
        description,
        area_id,
        tier,
        created_at,
        due_at,
        lat,
        lon,
        datum,
        media_url,
        updated,
    ) = t
    if lat is not None and lon is not None:
        lat, lon = convert(lat, lon, datum or Datum.WGS84, Datum.WGS84)  # GeoReport speaks WGS-84
    notes = texts.CARD_STATUS[status]
    if status == "rejected" and reason:
        notes += f"：{public_text(reason)}"
    place = labels.area(area_id)
    out: dict[str, Any] = {
        "service_request_id": str(ticket_id),
        "status": "closed" if status in FINAL else "open",
        "status_notes": notes,
        "service_name": labels.service(code),
        "service_code": code,
        "description": public_text(description),
        "agency_responsible": place,
        "service_notice": texts.TIER[tier],
        "requested_datetime": labels.iso(created_at),
        "updated_datetime": labels.iso(updated or created_at),
        "expected_datetime": labels.iso(due_at),
        "address": place,
        "address_id": None,
        "zipcode": None,
        # About 100 m: where on the map, not which door.
        "lat": round(lat, 3) if lat is not None else None,
        "long": round(lon, 3) if lon is not None else None,
        "media_url": media_url,  # the client's own address, handed back as it gave it
    }
    if token:
        out["token"] = token
    return out


def list_requests(u: Unit, params: Any) -> list[dict[str, Any]]:
    """GET requests: by ids, or by service, dates and status (newest first, at most 1000)."""
    stmt = select(*PUBLIC_COLUMNS)
    ids_raw = str(params.get("service_request_id", "")).strip()
    if ids_raw:
        ids = []
        for part in ids_raw.split(","):
            if not part.strip().isdigit() or len(part.strip()) > ID_DIGITS:
                raise ApiError(400, texts.O311_BAD_VALUE.format(field="service_request_id"))
            ids.append(int(part))
        stmt = stmt.where(Ticket.id.in_(ids[:MAX_RESULTS]))
    else:
        codes = [c.strip() for c in str(params.get("service_code", "")).split(",") if c.strip()]
        if codes:
            stmt = stmt.where(Ticket.category_code.in_(codes))
        start = params.get("start_date")
        end = params.get("end_date")
        end_at = parse_iso(end, "end_date") if end else None
        start_at = parse_iso(start, "start_date") if start else None
        if start_at is None and end_at is None:
            start_at = u.now - DEFAULT_WINDOW
        if start_at is not None:
            stmt = stmt.where(Ticket.created_at >= start_at)
        if end_at is not None:
            stmt = stmt.where(Ticket.created_at <= end_at)
        status = str(params.get("status", "")).strip().lower()
        if status:
            wanted = set(status.split(","))
            if not wanted <= {"open", "closed"}:
                raise ApiError(400, texts.O311_BAD_VALUE.format(field="status"))
            if wanted == {"open"}:
                stmt = stmt.where(Ticket.status.in_(ACTIVE))  # ranges of an index, unlike NOT IN
            elif wanted == {"closed"}:
                stmt = stmt.where(Ticket.status.in_(FINAL))
    found = u.session.execute(stmt.order_by(Ticket.id.desc()).limit(MAX_RESULTS)).all()
    labels = Labels(u)
    return [public_request(labels, t) for t in found]


def plain(text: str) -> str:
    """Text without HTML: tags (and scripts and styles with their content) removed, entities read."""
    if "<" not in text and "&" not in text:
        return text
    return html.unescape(nh3.clean(text, tags=set()))


def public_text(text: str) -> str:
    """Resident-written text as the API shows it: plain, with phones and doors masked."""
    return mask_private(plain(text))


def _text(form: Any, name: str, limit: int) -> str:
    return " ".join(plain(str(form.get(name, ""))).split())[:limit]


MEDIA_URL_MAX = 500
DESCRIPTION_MAX = 4000  # GeoReport v2 allows 4,000 characters (the chat asks for fewer)
ID_DIGITS = 15  # a longer id would overflow a database integer


def _media_url(form: Any) -> str | None:
    """The photo address a client sends: an http(s) URL (kept and shown as a link, never fetched)."""
    value = str(form.get("media_url", "")).strip()
    if not value:
        return None
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(value) > MEDIA_URL_MAX
        or any(c.isspace() for c in value)
    ):
        raise ApiError(400, texts.O311_BAD_VALUE.format(field="media_url"))
    return value


def create_request(u: Unit, client: str, form: Any) -> list[dict[str, Any]]:
    """POST requests: route, file and announce the ticket exactly as the chat wizard does."""
    code = str(form.get("service_code", "")).strip()
    if not code:
        raise ApiError(400, texts.O311_MISSING.format(field="service_code"))
    category = catalogue(u.session).get(code)
    if category is None or category not in _leaves(u):
        raise ApiError(400, texts.O311_NO_SERVICE.format(code=code))
    lat_raw, lon_raw = str(form.get("lat", "")).strip(), str(form.get("long", "")).strip()
    address = _text(form, "address_string", u.rules.limits.address_max) or None
    lat = lon = None
    if lat_raw or lon_raw:
        try:
            lat, lon = float(lat_raw), float(lon_raw)
        except ValueError:
            raise ApiError(400, texts.O311_BAD_VALUE.format(field="lat/long")) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ApiError(400, texts.O311_BAD_VALUE.format(field="lat/long"))
    elif address is None and not form.get("address_id"):
        raise ApiError(400, texts.O311_MISSING.format(field="lat/long, address_string or address_id"))
    description = _text(form, "description", DESCRIPTION_MAX + 1)
    if len(description) < u.rules.limits.description_min:
        raise ApiError(400, texts.O311_MISSING.format(field="description"))
    if len(description) > DESCRIPTION_MAX:
        raise ApiError(400, texts.TOO_LONG.format(limit=DESCRIPTION_MAX))
    routed = None
    if lat is not None and lon is not None:
        route = router_for(u.tree).route_point(
            lat, lon, "wgs84", u.rules.nearest_grid_km
        )  # GeoReport: WGS-84
        if route.how == How.OUTSIDE:  # as the chat wizard says it
            raise ApiError(400, texts.OUT_OF_AREA.format(subdistrict=u.tree.top().name))
        routed = route.area_id
    approx = False
    if routed is None and lat is None and address is not None:
        # Only a typed address: the grid whose 小区 / road names it names, at its centre (approximate).
        placed = place(u, address)
        routed, lat, lon, approx = placed.area_id, placed.lat, placed.lon, placed.lat is not None
    area = u.tree.by_id[routed] if routed is not None else u.tree.top()
    media_url = _media_url(form)
    name = " ".join(p for p in (_text(form, "last_name", 40), _text(form, "first_name", 40)) if p) or None
    phone = _text(form, "phone", 40) or None
    resident = get_or_create_person(u.session, CHANNEL, client, u.now, name=client)
    draft = tickets.Draft(
        category_code=code,
        description=description,
        area_id=area.id,
        lat=lat,
        lon=lon,
        address=address,
        phone=phone,
        source=client[:20],
        contact_name=name,
        media_url=media_url,
    )
    try:
        ticket = tickets.create(u, resident, draft)
    except DomainError as refusal:
        raise ApiError(400, refusal_text(refusal)) from None
    ticket.location_approx = approx
    token = office.tracking_token(u.session, ticket, u.now, api_client=client)
    record(
        u.session, u.now, SecurityKind.OPEN311_KEY, source=f"open311:{client}", detail=f"POST #{ticket.id}"
    )
    post_card(u, ticket)
    return [
        {
            "service_request_id": str(ticket.id),
            "token": token,
            "service_notice": texts.O311_NOTICE,
            "account_id": None,
        }
    ]


def routes(office_: Office) -> list[BaseRoute]:
    """Routes of the API (mounted at /open311/v2)."""
    keys = office_.config.open311.api_keys
    jurisdiction = office_.config.open311.jurisdiction_id
    throttle = Throttle(office_.config.open311.rate_limit)

    def guard(request: Request) -> str:
        fmt = request.path_params.get("fmt", "json")
        if fmt not in FORMATS:
            raise ApiError(404, texts.O311_BAD_VALUE.format(field="format"))
        given = request.query_params.get("jurisdiction_id")
        if jurisdiction and given and given != jurisdiction:
            raise ApiError(404, texts.O311_BAD_VALUE.format(field="jurisdiction_id"))
        return str(fmt)

    def endpoint(
        fn: Callable[[Request, str], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            try:
                fmt = guard(request)
                return await fn(request, fmt)
            except ApiError as exc:
                return error(request.path_params.get("fmt", "json"), exc.status, exc.description)

        return wrapped

    async def discovery(request: Request, fmt: str) -> Response:
        base = str(request.url_for("o311_services", fmt="json")).rsplit("/", 1)[0]
        changeset = "2026-11-30T00:00:00+08:00"
        value: dict[str, Any] = {
            "changeset": changeset,
            "contact": office_.config.rules.subdistrict_name,
            "key_service": office_.config.rules.subdistrict_name,
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": base,
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }
        return answer(fmt, "discovery", value)

    async def services(request: Request, fmt: str) -> Response:
        rows = await office_.run(lambda u: [_service(u, c) for c in _leaves(u)])
        return answer(fmt, "services", rows)

    async def definition(request: Request, fmt: str) -> Response:
        code = request.path_params["code"]

        def read(u: Unit) -> dict[str, Any] | None:
            c = catalogue(u.session).get(code)
            return None if c is None or c not in _leaves(u) else {"service_code": c.code, "attributes": []}

        value = await office_.run(read)
        if value is None:
            raise ApiError(404, texts.O311_NO_SERVICE.format(code=code))
        return answer(fmt, "service_definition", value)

    async def requests_(request: Request, fmt: str) -> Response:
        if request.method == "POST":
            try:
                form = await request.form()
            except (ValueError, KeyError, UnicodeDecodeError):
                raise ApiError(400, texts.O311_BAD_VALUE.format(field="body")) from None
            key = str(form.get("api_key", ""))
            client = keys.get(key)
            if client is None:
                raise ApiError(403, texts.O311_BAD_KEY)
            given = str(form.get("jurisdiction_id", "")).strip()
            if jurisdiction and given and given != jurisdiction:
                raise ApiError(404, texts.O311_BAD_VALUE.format(field="jurisdiction_id"))
            if not throttle.allow(key):
                raise ApiError(429, texts.O311_TOO_MANY.format(rule=office_.config.open311.rate_limit))
            rows = await office_.run(lambda u: create_request(u, client, form))
            return answer(fmt, "service_requests", rows, 201)
        rows = await office_.run(lambda u: list_requests(u, request.query_params))
        return answer(fmt, "service_requests", rows)

    async def one(request: Request, fmt: str) -> Response:
        raw = request.path_params["id"]
        if not raw.isdigit() or len(raw) > ID_DIGITS:
            raise ApiError(404, texts.O311_NOT_FOUND.format(id=raw))

        def read(u: Unit) -> list[dict[str, Any]]:
            t = u.session.execute(select(*PUBLIC_COLUMNS).where(Ticket.id == int(raw))).first()
            if t is None:
                return []
            return [public_request(Labels(u), t)]

        rows = await office_.run(read)
        if not rows:
            raise ApiError(404, texts.O311_NOT_FOUND.format(id=raw))
        return answer(fmt, "service_requests", rows)

    async def token(request: Request, fmt: str) -> Response:
        value = request.path_params["token"]

        def read(u: Unit) -> list[dict[str, Any]]:
            row = u.session.scalar(select(TicketLink).where(TicketLink.token == value))
            return [] if row is None else [{"service_request_id": str(row.ticket_id), "token": value}]

        rows = await office_.run(read)
        if not rows:
            raise ApiError(404, texts.O311_NO_TOKEN.format(token=value))
        return answer(fmt, "service_requests", rows)

    return [
        Route("/discovery.{fmt}", endpoint(discovery), name="o311_discovery"),
        Route("/services.{fmt}", endpoint(services), name="o311_services"),
        Route("/services/{code}.{fmt}", endpoint(definition), name="o311_service"),
        Route("/requests.{fmt}", endpoint(requests_), methods=["GET", "POST"], name="o311_requests"),
        Route("/requests/{id}.{fmt}", endpoint(one), name="o311_request"),
        Route("/tokens/{token}.{fmt}", endpoint(token), name="o311_token"),
    ]
