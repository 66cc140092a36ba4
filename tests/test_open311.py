"""Open311 GeoReport v2, read with the third-party `georeport` client, written with form POSTs."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from georeport import GeoReport

from bot.office.open311 import LocalTimes
from handlers import texts
from models.tables import Outbox, Ticket, TicketLink

from .harness import Harness
from .office import API_KEY, client, office_with_grids, served, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")

PHONE = "13912345678"
EMAIL = "zhang@example.com"


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office with Open311 on and a grid group for the cards."""
    async with office_with_grids(db_url) as h:
        yield h


FORM = {
    "api_key": API_KEY,
    "service_code": "road",
    "lat": "29.3451",
    "long": "120.0752",
    "address_string": "幸福里7幢3单元",
    "description": "人行道地砖松动，老人容易绊倒",
    "email": EMAIL,
    "phone": PHONE,
    "first_name": "三",
    "last_name": "张",
    "jurisdiction_id": "beiyuan",
}


async def test_post_request_routes_posts_card_and_starts_sla(web: Harness) -> None:
    """A form-encoded POST files a ticket in the nearest grid, posts its card, and records the key's name."""
    async with client(web) as http:
        answer = await http.post("/open311/v2/requests.json", data=FORM)
        assert answer.status_code == 201, answer.text
        [created] = answer.json()
        tid = int(created["service_request_id"])
        assert created["token"] and created["service_notice"] == texts.O311_NOTICE
    await web.app.sender.flush()
    t = web.ticket(tid)
    area = web.query(lambda s: web.app.unit(s).tree.by_id[t.area_id].code)
    assert (area, t.source, t.status, t.tier, t.phone) == ("siji-1", "12345热线", "open", "simple", PHONE)
    assert t.next_check_at is not None  # the claim deadline is watched like any other ticket's
    card = web.to("@siji1")[-1]
    assert f"#{tid}" in card and "人行道地砖松动" in card
    link = web.query(lambda s: s.get(TicketLink, tid))
    assert link.api_client == "12345热线" and link.token == created["token"]


async def test_post_refusals_use_the_error_format(web: Harness) -> None:
    """No key, a wrong key, an unknown service, no location, a short description: 4xx errors, no ticket."""
    async with client(web) as http:
        cases = [
            ({k: v for k, v in FORM.items() if k != "api_key"}, 403, texts.O311_BAD_KEY),
            ({**FORM, "api_key": "wrong"}, 403, texts.O311_BAD_KEY),
            ({**FORM, "service_code": "moon"}, 400, texts.O311_NO_SERVICE.format(code="moon")),
            ({**FORM, "service_code": ""}, 400, texts.O311_MISSING.format(field="service_code")),
            (
                {k: v for k, v in FORM.items() if k not in ("lat", "long", "address_string")},
                400,
                texts.O311_MISSING.format(field="lat/long, address_string or address_id"),
            ),
            ({**FORM, "lat": "north"}, 400, texts.O311_BAD_VALUE.format(field="lat/long")),
            ({**FORM, "description": "坏"}, 400, texts.O311_MISSING.format(field="description")),
        ]
        for form, status, message in cases:
            answer = await http.post("/open311/v2/requests.json", data=form)
            assert answer.status_code == status and answer.json() == [
                {"code": status, "description": message}
            ]
        xml = await http.post("/open311/v2/requests.xml", data={**FORM, "api_key": "wrong"})
        root = ET.fromstring(xml.content)
        assert root.tag == "errors" and root.find("error/code").text == "403"  # type: ignore[union-attr]
    assert web.count(Ticket) == 0


async def test_georeport_client_reads_services_and_requests(web: Harness) -> None:
    """The PyPI georeport client lists services, reads requests by id and by filters, in JSON and XML."""
    tid = await web.quick_report("r1", phone=PHONE)
    async with client(web) as http:
        made = (await http.post("/open311/v2/requests.json", data=FORM)).json()[0]
    api_id = made["service_request_id"]
    await web.say(f"admin: /reject {tid} 重复反映")
    async with served(web) as base:
        for fmt in ("json", "xml"):
            geo = GeoReport(f"{base}/open311/v2", jurisdiction="beiyuan", output_format=fmt)
            services = await asyncio.to_thread(geo.get_service_list)
            codes = [s["service_code"] for s in services]
            assert "road" in codes and "city" not in codes  # leaves only: a group is not a service
            definition = await asyncio.to_thread(geo.get_service_definition, "road")
            assert definition["service_code"] == "road"
            one = await asyncio.to_thread(geo.get_service_request, api_id)
            assert one["service_request_id"] == api_id and one["status"] == "open"
            assert one["requested_datetime"].endswith("+08:00")
            closed = await asyncio.to_thread(geo.get_service_requests, status="closed")
            closed = closed if isinstance(closed, list) else [closed]
            assert [r["service_request_id"] for r in closed] == [str(tid)]
            by_ids = await asyncio.to_thread(geo.get_service_requests, service_request_id=f"{tid},{api_id}")
            assert sorted(r["service_request_id"] for r in by_ids) == sorted([str(tid), api_id])
            if fmt == "json":  # the client cannot read an empty XML list (<service_requests/>)
                later = await asyncio.to_thread(
                    geo.get_service_requests, start_date="2099-01-01T00:00:00+08:00"
                )
                assert later == []
            everything = str(by_ids)
            assert PHONE not in everything and EMAIL not in everything and "幸福里7幢" not in everything


async def test_get_errors_and_tokens(web: Harness) -> None:
    """Unknown ids and tokens are 404 in the error format; a token leads to its request id."""
    async with client(web) as http:
        made = (await http.post("/open311/v2/requests.json", data=FORM)).json()[0]
        token = await http.get(f"/open311/v2/tokens/{made['token']}.json")
        assert token.json() == [{"service_request_id": made["service_request_id"], "token": made["token"]}]
        missing = await http.get("/open311/v2/requests/999.json")
        assert missing.status_code == 404
        assert missing.json() == [{"code": 404, "description": texts.O311_NOT_FOUND.format(id="999")}]
        assert (await http.get("/open311/v2/tokens/nope.xml")).status_code == 404
        bad_date = await http.get("/open311/v2/requests.json?start_date=yesterday")
        assert bad_date.status_code == 400
        bad_status = await http.get("/open311/v2/requests.json?status=lost")
        assert bad_status.status_code == 400
        discovery = await http.get("/open311/v2/discovery.xml")
        root = ET.fromstring(discovery.content)
        assert root.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"  # type: ignore[union-attr]
        assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == [
            "application/json",
            "text/xml",
        ]


async def test_api_ticket_queues_no_chat_notices_and_closes_unanswered(web: Harness) -> None:
    """An API-filed ticket is grabbed, resolved and auto-closed; no notice waits for an 'open311' chat."""
    async with client(web) as http:
        made = (await http.post("/open311/v2/requests.json", data=FORM)).json()[0]
    tid = int(made["service_request_id"])
    await web.say("w1@siji1: [tap 抢单]")
    await web.say(f"w1: 办结 {tid} 已修复")
    assert web.ticket(tid).status == "resolved"
    await web.advance(timedelta(days=3, minutes=5))  # no 双是 answer can come: closed as unrated
    t = web.ticket(tid)
    assert (t.status, t.rating) == ("closed", "unrated")
    await web.app.sender.flush()
    assert web.count(Outbox, Outbox.channel == "open311") == 0
    assert web.count(Outbox, Outbox.status.in_(("pending", "sending"))) == 0
    async with client(web) as http:
        [seen] = (await http.get(f"/open311/v2/requests/{tid}.json")).json()
    assert seen["status"] == "closed"  # the client reads the progress instead


async def test_media_url_is_stored_shown_and_returned(web: Harness) -> None:
    """POST media_url is kept: GET requests returns it and the ticket page links it (never loads it)."""
    photo = "https://img.12345.example.org/a/123.jpg"
    async with client(web) as http:
        made = (await http.post("/open311/v2/requests.json", data={**FORM, "media_url": photo})).json()[0]
        tid = made["service_request_id"]
        [one] = (await http.get(f"/open311/v2/requests/{tid}.json")).json()
        assert one["media_url"] == photo
        listed = (await http.get("/open311/v2/requests.json")).json()
        assert [r["media_url"] for r in listed] == [photo]
        xml = ET.fromstring((await http.get(f"/open311/v2/requests/{tid}.xml")).content)
        assert xml.find("request/media_url").text == photo  # type: ignore[union-attr]
        await sign_in(web, http, "admin")
        page = (await http.get(f"/office/tickets/{tid}")).text
    assert f'<a href="{photo}"' in page and f'src="{photo}"' not in page
    assert web.ticket(int(tid)).media_url == photo


async def test_bad_media_url_is_refused_and_files_nothing(web: Harness) -> None:
    """A media_url that is not an http(s) address is a 400 in the error format, and no ticket is filed."""
    async with client(web) as http:
        for bad in ("javascript:alert(1)", "ftp://example.org/a.jpg", "https://", "x" * 600):
            answer = await http.post("/open311/v2/requests.json", data={**FORM, "media_url": bad})
            assert answer.status_code == 400
            assert answer.json() == [
                {"code": 400, "description": texts.O311_BAD_VALUE.format(field="media_url")}
            ]
    assert web.count(Ticket) == 0


async def test_updated_datetime_is_the_latest_change(web: Harness) -> None:
    """A request's updated_datetime is when it last changed, in the list and alone, later than when filed."""
    changed = await web.quick_report("r1", phone=PHONE)
    filed = web.clock.now()
    await web.advance(timedelta(hours=3))
    await web.say(f"admin: /reject {changed} 重复反映")
    rejected = web.clock.now()
    async with client(web) as http:
        listed = {r["service_request_id"]: r for r in (await http.get("/open311/v2/requests.json")).json()}
        [alone] = (await http.get(f"/open311/v2/requests/{changed}.json")).json()

    def local(when: object) -> str:
        return when.astimezone(ZoneInfo("Asia/Shanghai")).isoformat(timespec="seconds")  # type: ignore[attr-defined]

    assert listed[str(changed)]["updated_datetime"] == alone["updated_datetime"] == local(rejected)
    assert listed[str(changed)]["requested_datetime"] == local(filed)
    assert alone["status"] == "closed" and alone["status_notes"].endswith("重复反映")


def test_times_carry_the_offset_in_force_at_that_moment() -> None:
    """Open311 times are local with the offset of their moment: across summer time and mid-hour changes."""
    cases = {
        # Berlin leaves summer time at 01:00 UTC on 2026-10-25: 02:59:59+02:00, then 02:00:00+01:00.
        ("Europe/Berlin", datetime(2026, 10, 25, 0, 59, 59, 999999)): "2026-10-25T02:59:59+02:00",
        ("Europe/Berlin", datetime(2026, 10, 25, 1, 0)): "2026-10-25T02:00:00+01:00",
        ("Europe/Berlin", datetime(2026, 7, 1, 10, 30)): "2026-07-01T12:30:00+02:00",
        # Lord Howe moves by half an hour at 15:30 UTC (02:00 local), in the middle of a UTC hour.
        ("Australia/Lord_Howe", datetime(2026, 10, 3, 15, 29)): "2026-10-04T01:59:00+10:30",
        ("Australia/Lord_Howe", datetime(2026, 10, 3, 15, 30)): "2026-10-04T02:30:00+11:00",
        ("Asia/Kathmandu", datetime(1985, 12, 31, 18, 29)): "1985-12-31T23:59:00+05:30",
        ("Asia/Kathmandu", datetime(1985, 12, 31, 18, 31)): "1986-01-01T00:16:00+05:45",
        ("Asia/Shanghai", datetime(2026, 11, 23, 1, 0, 5, 700000)): "2026-11-23T09:00:05+08:00",
    }
    for (zone, stored), written in cases.items():
        times = LocalTimes(ZoneInfo(zone))
        assert times.iso(stored) == written, (zone, stored)
        assert times.iso(stored) == written  # again, from what the first call learnt of that hour
    assert LocalTimes(ZoneInfo("UTC")).iso(None) is None
