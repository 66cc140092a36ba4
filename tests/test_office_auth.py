"""Sign-in links, sessions, roles' scopes and CSRF of the web office."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from handlers import texts

from .harness import Harness
from .office import BASE, asgi, client, csrf, link_token, office_harness, office_with_grids, sign_in


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The demo subdistrict with the web office on, a grid with workers w1 and w2."""
    async with office_with_grids(db_url) as h:
        yield h


async def test_link_signs_in_once(web: Harness) -> None:
    """/web gives a link; opening it and pressing 登录 starts a session; the same link then refuses."""
    async with client(web) as c:
        token = await link_token(web, "admin")
        page = await c.get(f"/office/login/{token}")
        assert page.status_code == 200 and "登录网页后台" in page.text
        signed = await c.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text)})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"]
        assert "jiesu_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # http base URL
        tickets = await c.get("/office/tickets")
        assert tickets.status_code == 200 and "工单列表" in tickets.text
        again = await c.get(f"/office/login/{token}")
        assert again.status_code == 410 and texts.WEB_LINK_USED in again.text


async def test_expired_and_forged_links_start_no_session(web: Harness) -> None:
    """A link older than 10 minutes or one never issued gets a clear page and no cookie."""
    async with client(web) as c:
        token = await link_token(web, "admin")
        web.clock.advance(timedelta(minutes=11))
        page = await c.get(f"/office/login/{token}")
        assert page.status_code == 410 and texts.WEB_LINK_EXPIRED in page.text
        forged = await c.get("/office/login/not-a-real-token")
        assert forged.status_code == 404 and texts.WEB_LINK_UNKNOWN in forged.text
        assert "jiesu_session" not in c.cookies
        assert (await c.get("/office/tickets")).status_code == 401


async def test_residents_get_no_link_and_groups_no_link(web: Harness) -> None:
    """A resident is told the office is for staff; staff asking in a group are sent to private chat."""
    out = await web.say("r9: /web")
    assert web.to("r9", out) == [texts.WEB_STAFF_ONLY]
    out = await web.say("w1@siji1: /web")
    assert web.to("@siji1", out) == [texts.WEB_PRIVATE_ONLY]
    out = await web.say("w1: 后台")
    assert (
        web.to("w1", out)[0].startswith("网页后台登录链接")
        and f"{BASE}/office/login/" in web.to("w1", out)[0]
    )


async def test_idle_session_lapses_and_sign_out_ends_it(web: Harness) -> None:
    """8 hours without a request end the session; signing out ends it at once."""
    async with client(web) as c:
        await sign_in(web, c, "admin")
        web.clock.advance(timedelta(hours=7))
        assert (await c.get("/office/tickets")).status_code == 200
        web.clock.advance(timedelta(hours=8, minutes=1))
        gone = await c.get("/office/tickets")
        assert gone.status_code == 401 and texts.WEB_SESSION_GONE in gone.text
        await sign_in(web, c, "admin")
        page = await c.get("/office/tickets")
        out = await c.post("/office/logout", data={"csrftoken": csrf(page.text)})
        assert texts.WEB_SIGNED_OUT in out.text
        assert (await c.get("/office/tickets")).status_code == 401


async def test_forms_without_csrf_token_are_refused(web: Harness) -> None:
    """A signed-in POST without the CSRF token changes nothing."""
    tid = await web.quick_report()
    async with client(web) as c:
        await sign_in(web, c, "admin")
        refused = await c.post(f"/office/tickets/{tid}/reject", data={"reason": "重复"})
        assert refused.status_code == 403
        forged = await c.post(f"/office/tickets/{tid}/reject", data={"reason": "重复", "csrftoken": "x"})
        assert forged.status_code == 403
    assert web.ticket(tid).status == "open"


async def test_revoked_role_ends_access(web: Harness) -> None:
    """Someone whose role is revoked loses the office at the next request, and their unused link too."""
    async with client(web) as c:
        await sign_in(web, c, "w1")
        assert (await c.get("/office/tickets")).status_code == 200
        token = await link_token(web, "w1")
        await web.say("admin: /revoke w1 worker siji-1")
        assert (await c.get("/office/tickets")).status_code == 401
        page = await c.get(f"/office/login/{token}")
        refused = await c.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text)})
        assert refused.status_code == 403 and texts.WEB_NOT_STAFF in refused.text


async def test_https_base_url_makes_the_cookie_secure(db_url: str) -> None:
    """Behind https the session cookie is marked Secure."""
    h = await office_harness(db_url, base="https://jiesu.example.org")
    try:
        await h.quick_grid()
        transport = httpx.ASGITransport(app=asgi(h))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            token = await link_token(h, "admin")
            page = await c.get(f"/office/login/{token}")
            signed = await c.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text)})
            assert signed.status_code == 303 and "Secure" in signed.headers["set-cookie"]
    finally:
        h.close()
