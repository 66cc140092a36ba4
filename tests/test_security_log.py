"""The security log: what it records, who sees it, and that nothing in the app can change it."""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from handlers import texts
from models.tables import SecurityEntry, WebSession

from .harness import Harness
from .office import API_KEY, client, csrf, link_token, office_with_grids, sign_in

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office and Open311 on, grid siji-1 with workers w1 and w2."""
    async with office_with_grids(db_url) as h:
        yield h


def kinds(h: Harness) -> list[str]:
    """Every line's kind, oldest first."""
    return h.query(lambda s: list(s.scalars(select(SecurityEntry.kind).order_by(SecurityEntry.id))))


async def test_sign_in_view_export_key_and_sign_out_are_logged(web: Harness) -> None:
    """Links issued and used, the phone viewed, an export, an Open311 key and signing out: a line each."""
    tid = await web.quick_report()
    async with client(web) as http:
        await sign_in(web, http, "admin")
        await http.get(f"/office/tickets/{tid}")
        await http.get("/office/tickets.csv?status=open")
        await http.post(
            "/open311/v2/requests.json",
            data={
                "api_key": API_KEY,
                "service_code": "road",
                "lat": "29.3451",
                "long": "120.0752",
                "description": "井盖缺失很危险",
            },
        )
        page = await http.get("/office/tickets")
        await http.post("/office/logout", data={"csrftoken": csrf(page.text)})
    logged = kinds(web)
    for kind in ("link_issued", "link_used", "private_viewed", "export", "open311_key", "signed_out"):
        assert kind in logged, kind
    export = web.query(lambda s: s.scalar(select(SecurityEntry.detail).where(SecurityEntry.kind == "export")))
    assert export == "csv rows=1 filter=status=open"


async def test_role_changes_are_logged_and_revoking_the_last_role_ends_sessions(web: Harness) -> None:
    """/grant and /revoke leave lines; a worker who loses his last role is signed out at once."""
    async with client(web) as http:
        await sign_in(web, http, "w1")
        await web.say("admin: /revoke w1 worker siji-1")
        assert (await http.get("/office/tickets")).status_code == 401
    open_sessions = web.count(WebSession, WebSession.ended_at.is_(None))
    assert "role_revoked" in kinds(web) and open_sessions == 0


async def test_repeated_failures_lock_the_person_out(web: Harness) -> None:
    """Five reused links in 15 minutes lock the person out (logged); after the window he may again."""
    async with client(web) as http:
        tokens = [await link_token(web, "w2") for _ in range(5)]
        for token in tokens[:4]:
            page = await http.get(f"/office/login/{token}")
            assert (
                await http.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text)})
            ).status_code == 303
            assert (
                await http.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text)})
            ).status_code == 410
        page = await http.get(f"/office/login/{tokens[4]}")
        good = csrf(page.text)
        assert (await http.post(f"/office/login/{tokens[4]}", data={"csrftoken": good})).status_code == 303
        locked = await http.post(f"/office/login/{tokens[4]}", data={"csrftoken": good})
        assert locked.status_code == 410
    assert "locked_out" in kinds(web)
    out = await web.say("w2: /web")
    assert web.to("w2", out) == [texts.WEB_LOCKED.format(minutes=15)]
    web.clock.advance(timedelta(minutes=16))
    out = await web.say("w2: /web")
    assert "/office/login/" in web.to("w2", out)[0]


async def test_link_requests_are_rate_limited(web: Harness) -> None:
    """A sixth /web within 15 minutes gets no new link."""
    for _ in range(5):
        await link_token(web, "w1")
    out = await web.say("w1: /web")
    assert web.to("w1", out) == [texts.WEB_TOO_MANY_LINKS.format(minutes=15)]


async def test_only_subdistrict_admins_see_and_export_the_log(web: Harness) -> None:
    """The subdistrict admin reads the log and downloads it; a worker is refused."""
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = await http.get("/office/security")
        assert page.status_code == 200 and texts.SECURITY_KIND["link_used"] in page.text
        download = await http.get("/office/security.csv")
        rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert rows[0] == texts.WEB_SECURITY_HEADERS and len(rows) >= 3
    async with client(web) as http:
        await sign_in(web, http, "w1")
        assert (await http.get("/office/security")).status_code == 403
        assert (await http.get("/office/security.csv")).status_code == 403


async def test_the_database_refuses_to_change_or_delete_a_line(web: Harness) -> None:
    """UPDATE and DELETE of the log fail on both backends (triggers), through the ORM and raw SQL."""
    await link_token(web, "admin")
    before = kinds(web)
    for statement in (
        update(SecurityEntry).values(detail="x"),
        delete(SecurityEntry),
        text("DELETE FROM security_log"),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            await web.app.db.run(lambda s, st=statement: s.execute(st))  # type: ignore[misc]
    assert kinds(web) == before and before[-1] == "link_issued"


def test_no_code_path_updates_or_deletes_the_log() -> None:
    """Outside its migration no module names the log in an UPDATE, DELETE or session.delete."""
    offenders = []
    for path in [
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("handlers/**/*.py"),
        *ROOT.glob("models/**/*.py"),
        *ROOT.glob("scheduler/**/*.py"),
    ]:
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                args = " ".join(ast.unparse(a) for a in node.args)
                if name.endswith(("update", "delete")) and (
                    "SecurityEntry" in args or "security_log" in args
                ):
                    offenders.append(f"{path}: {ast.unparse(node)}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                sql = node.value.upper()
                if "SECURITY_LOG" in sql and ("UPDATE " in sql or "DELETE " in sql):
                    offenders.append(f"{path}: {node.value[:60]}")
    assert offenders == []
