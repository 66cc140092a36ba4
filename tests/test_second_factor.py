"""The optional second factor (TOTP) of web sign-in, and the setting that requires it for admins."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from handlers import texts
from models.tables import SecurityEntry

from .harness import Harness
from .office import client, csrf, link_token, office_with_grids, sign_in


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on, grid siji-1 with workers w1 and w2."""
    async with office_with_grids(db_url) as h:
        yield h


def code_at(secret: str, h: Harness, later: timedelta = timedelta(0)) -> str:
    """The code an authenticator app shows at the harness's time."""
    return pyotp.TOTP(secret).at(h.clock.now() + later)


async def enrol(h: Harness, http: object) -> str:
    """Set up the second factor on the enrolment page; return the secret."""
    page = await http.get("/office/second-factor")  # type: ignore[attr-defined]
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page.text)
    assert secret, page.text[:300]
    done = await http.post(  # type: ignore[attr-defined]
        "/office/second-factor", data={"csrftoken": csrf(page.text), "code": code_at(secret.group(1), h)}
    )
    assert done.status_code == 303
    return secret.group(1)


async def test_an_enrolled_admin_needs_a_code_and_a_code_works_once(web: Harness) -> None:
    """After enrolling, the sign-in page asks for a code; a wrong or replayed one leaves the link unspent."""
    async with client(web) as http:
        await sign_in(web, http, "admin")
        secret = await enrol(web, http)
    async with client(web) as http:
        token = await link_token(web, "admin")
        page = await http.get(f"/office/login/{token}")
        assert 'name="code"' in page.text
        used = code_at(secret, web)  # accepted at enrolment: this time step is spent
        replay = await http.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text), "code": used})
        assert replay.status_code == 400 and texts.WEB_CODE_WRONG in replay.text
        wrong = await http.post(
            f"/office/login/{token}", data={"csrftoken": csrf(page.text), "code": "000000"}
        )
        assert wrong.status_code == 400
        web.clock.advance(timedelta(seconds=61))
        good = code_at(secret, web)
        signed = await http.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text), "code": good})
        assert signed.status_code == 303
        assert (await http.get("/office/tickets")).status_code == 200
    logged = web.query(
        lambda s: list(s.scalars(select(SecurityEntry.detail).where(SecurityEntry.kind == "link_refused")))
    )
    assert logged == ["code", "code"]


async def test_required_second_factor_sends_admins_to_set_it_up(web: Harness) -> None:
    """With second_factor = "required" an admin without one reaches nothing but the set-up page."""
    web.app.config.web.second_factor = "required"
    async with client(web) as http:
        await sign_in(web, http, "admin")
        sent = await http.get("/office/tickets")
        assert sent.status_code == 303 and sent.headers["location"].endswith("/office/second-factor")
        page = await http.get("/office/second-factor")
        assert texts.WEB_2FA_REQUIRED in page.text and 'src="data:image/svg+xml;base64,' in page.text
        await enrol(web, http)
        assert (await http.get("/office/tickets")).status_code == 200
    async with client(web) as http:
        await sign_in(web, http, "w1")  # workers are not asked
        assert (await http.get("/office/tickets")).status_code == 200
