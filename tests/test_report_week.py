"""/report_week (周报): the workbook as a file on Telegram and in the console, a link on WeChat."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from starlette.applications import Starlette

from bot.config import load
from bot.delivery import OutgoingMessage
from bot.office import routes
from handlers import texts
from handlers.web import WEEKLY_PATH

from .harness import Harness
from .office import LINK, csrf
from .tgfake import Tg, cast, telegram_config
from .wxfake import WxEnv, openid

COMMUNITIES = ["四季社区", "经发社区", "望道社区", "拥军社区", "丹溪社区"]
WEB = "https://jiesu.example.org"


def check_workbook(body: bytes) -> None:
    """The weekly workbook: one sheet per community, its title, the first table's header."""
    wb = load_workbook(io.BytesIO(body))
    assert wb.sheetnames == COMMUNITIES
    ws = wb["四季社区"]
    assert str(ws["A1"].value).startswith("四季社区 周报（近7天")
    assert [ws["A3"].value, ws["B3"].value] == list(texts.XLS_WEEKLY_STATUS)


@pytest.fixture
async def tg(db_url: str, tmp_path: Path) -> AsyncIterator[Tg]:
    """Telegram faked under PTB; files written under a temporary directory."""
    config = telegram_config(db_url)
    config.rules = dataclasses.replace(config.rules, chart_dir=str(tmp_path / "out"))
    t = await Tg.create(db_url, config=config)
    try:
        yield t
    finally:
        await t.close()


async def test_telegram_admin_gets_the_workbook_by_send_document(tg: Tg) -> None:
    """/report_week uploads the .xlsx with sendDocument (multipart), the caption says what is in it."""
    c = cast(tg.u)
    await tg.send(tg.u.text(c.r1, "/start"))
    await tg.send(tg.u.text(c.admin, "/report_week"))
    [sent] = tg.api.of("sendDocument")
    assert str(sent["chat_id"]) == str(c.admin["id"])
    assert sent["caption"].startswith("北苑街道周报（近7天，截至 2026-11-23 09:00）")
    filename, body, mime = tg.api.uploads[sent["document"]]
    assert filename == "周报-20261123.xlsx" and mime.endswith("spreadsheetml.sheet")
    check_workbook(body)


async def test_telegram_refuses_residents_and_arguments(tg: Tg) -> None:
    """A resident is told it is for admins; /report_week with arguments gets the usage; no file either way."""
    c = cast(tg.u)
    await tg.send(tg.u.text(c.r1, "/start"), tg.u.text(c.r1, "/report_week"))
    assert tg.api.texts(c.r1["id"])[-1] == texts.NOT_ADMIN
    await tg.send(tg.u.text(c.admin, "/report_week month"))
    assert tg.api.texts(c.admin["id"])[-1] == texts.USAGE.format(usage="/report_week")
    assert tg.api.of("sendDocument") == []


async def test_console_prints_the_file_path(hc: Harness) -> None:
    """In the console the alias 周报 answers with the caption and the path of the written workbook."""
    out = await hc.say("admin: 周报")
    [message] = [m for m in out if m["chat"] == "admin"]
    path = Path(str(message["document"]))
    assert path.name == "周报-20261123.xlsx" and path.is_file()
    assert message["text"].startswith("北苑街道周报")
    check_workbook(path.read_bytes())


@pytest.fixture
async def hc(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """The console with the demo subdistrict, writing files under a temporary directory."""
    config = load(None, env={})
    config.rules = dataclasses.replace(config.rules, chart_dir=str(tmp_path / "out"))
    harness = await Harness.create(db_url, config)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
async def wxw(db_url: str) -> AsyncIterator[WxEnv]:
    """WeChat with an admin and the web office's address configured."""
    env = await WxEnv.create(db_url, admins=(openid("admin"),), web_base_url=WEB)
    try:
        yield env
    finally:
        await env.close()


async def test_wechat_gets_a_single_use_link_to_the_workbook(wxw: WxEnv) -> None:
    """WeChat cannot send files: the admin gets a link that signs in once and downloads the workbook."""
    answer = await wxw.text(openid("admin"), "/report_week")
    found = LINK.search(answer)
    assert found and answer.startswith(texts.REPORT_WEEK_LINK.split("{url}")[0]), answer
    token = found.group(1)
    office = Starlette(routes=routes(wxw.app, wxw.app.config))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=office), base_url=WEB) as http:
        page = await http.get(f"/office/login/{token}")
        signed = await http.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text)})
        assert signed.status_code == 303 and signed.headers["location"] == WEEKLY_PATH
        download = await http.get(signed.headers["location"])
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
        check_workbook(download.content)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=office), base_url=WEB) as other:
            again = await other.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text)})
            assert again.status_code == 410 and texts.WEB_LINK_USED in again.text


async def test_wechat_without_the_web_office_is_told_why(wx: WxEnv) -> None:
    """Without [web] base_url there is no way to hand a file over on WeChat: the admin is told so."""
    assert await wx.text(openid("admin"), "/report_week") == texts.REPORT_WEEK_NO_WEB
    assert await wx.text(openid("r1"), "/report_week") == texts.NOT_ADMIN


async def test_telegram_a_vanished_file_is_sent_as_text_with_a_note(tg: Tg, tmp_path: Path) -> None:
    """A document whose file is gone before delivery: the text arrives with a note, nothing is uploaded."""
    c = cast(tg.u)
    await tg.send(tg.u.text(c.admin, "/start"))
    gone = OutgoingMessage(
        id=10_001,
        channel="telegram",
        chat_id=str(c.admin["id"]),
        text="北苑街道周报",
        buttons=(),
        photo=None,
        keyboard=None,
        attempts=0,
        document=str(tmp_path / "missing.xlsx"),
    )
    delivery = await tg.runtime.transport.deliver(gone)
    assert delivery.ok
    assert tg.api.texts(c.admin["id"])[-1] == f"北苑街道周报\n{texts.TG_FILE_UNAVAILABLE}"
    assert tg.api.of("sendDocument") == []
