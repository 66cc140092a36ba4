"""The office in a real Chromium (Debian's package, driven by Playwright): sign in, filter, assign, export.

One Chromium process serves every browser test (started once per session, reached over CDP);
screenshots land in out/screenshots/ for docs/office.md.
"""

from __future__ import annotations

import io
import re
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handlers import texts

from . import timing
from .harness import Harness
from .office import link_token, office_with_grids, served

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One headless Chromium for the whole session; its DevTools address."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (.ci/run does it)")
    log = tmp_path_factory.mktemp("chromium") / "stderr.txt"
    with log.open("w") as err:
        process = subprocess.Popen(
            [str(CHROMIUM), *ARGS, "--remote-debugging-port=0", f"--user-data-dir={log.parent}/profile"],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    address = ""
    deadline = time.monotonic() + timing.bound(30)
    while not address and time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"DevTools listening on (ws://\S+)", log.read_text(errors="replace"))
        address = found.group(1) if found else ""
        time.sleep(0.05)
    try:
        assert address, f"Chromium did not start: {log.read_text(errors='replace')[-2000:]}"
        yield address
    finally:
        process.terminate()
        process.wait(timeout=timing.bound(10))


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on; workers w1, w2 in grid siji-1."""
    async with office_with_grids(db_url) as h:
        yield h


async def test_sign_in_filter_assign_and_export_in_chromium(web: Harness, chromium: str, db_url: str) -> None:
    """The command centre's day: link from chat, filter, open a ticket, assign it, export the list."""
    from playwright.async_api import async_playwright

    a = await web.quick_report("r1")
    b = await web.quick_report("r2", location=(29.3462, 120.0768), description="春晗路路灯不亮已经三天了")
    c = await web.quick_report(
        "r3",
        category="idea",
        location=(29.3440, 120.0738),
        description="<script>alert('x')</script> 建议增设长椅",
    )
    await web.say(f"w1: 抢单 {b}")
    shots = db_url.startswith("sqlite")  # one set of screenshots is enough
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with served(web) as base, async_playwright() as pw:
        web.app.config.web.base_url = base  # the link must point at this server
        browser = await pw.chromium.connect_over_cdp(chromium)
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN"
        )
        page = await context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            token = await link_token(web, "admin")
            await page.goto(f"{base}/office/login/{token}")
            await page.click("#sign-in")
            await page.wait_for_url(re.compile(r"/office/tickets$"))
            assert await page.locator("#tickets tbody tr").count() == 3
            if shots:
                await page.screenshot(path=str(SHOTS / "tickets.png"), full_page=True)
            # Filter: open tickets only; the filter is in the URL.
            await page.select_option("select[name=status]", "open")
            await page.click("#apply")
            await page.wait_for_url(re.compile(r"status=open"))
            rows = page.locator("#tickets tbody tr")
            assert await rows.count() == 2
            assert "<script>" in (await page.locator(f'tr[data-id="{c}"] td.desc').inner_text())
            # Open the ticket and assign it to w2.
            await page.click(f'a[href$="/office/tickets/{a}"]')
            await page.wait_for_url(re.compile(rf"/office/tickets/{a}$"))
            assert "13800138000" in await page.locator("#phone").inner_text()
            await page.wait_for_selector("#ticket-map .leaflet-interactive")
            await page.select_option("#assign-worker", label="w2")
            await page.click("#do-assign")
            await page.wait_for_selector(".flash")
            flash = await page.locator(".flash").inner_text()
            assert flash == texts.WEB_DONE["assign"].format(id=a, detail="w2")
            assert "交办" in await page.locator("#timeline").inner_text()
            if shots:
                await page.screenshot(path=str(SHOTS / "ticket.png"), full_page=True)
            await web.app.sender.flush()
            assert web.to("r1")[-1] == texts.R_ASSIGNED.format(
                id=a, handler="w2", deadline=texts.DEADLINE_EXPECTED.format(due="11月24日 09:00")
            )
            # Export the filtered list.
            await page.goto(f"{base}/office/tickets?status=claimed")
            async with page.expect_download() as info:
                await page.click("#export-xlsx")
            download = await info.value
            ws = load_workbook(io.BytesIO(Path(await download.path()).read_bytes())).active
            assert sorted(r[0] for r in ws.iter_rows(min_row=2, values_only=True)) == [a, b]
            # Map and statistics.
            await page.goto(f"{base}/office/map")
            await page.wait_for_function("window.jiesuMarkers !== undefined")
            assert await page.evaluate("window.jiesuMarkers") == 3
            if shots:
                await page.screenshot(path=str(SHOTS / "map.png"))
            await page.goto(f"{base}/office/stats?period=week")
            await page.wait_for_selector("#chart")
            if shots:
                await page.screenshot(path=str(SHOTS / "stats.png"), full_page=True)
            # The resident's progress page, on a phone.
            link = (
                next(t for t in web.to("r1") if "/t/" in t) if any("/t/" in t for t in web.to("r1")) else None
            )
            assert link is None  # quick_report skips the wizard's confirmation; use the token directly
            phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
            )
            mobile = await phone.new_page()
            from models import office

            track = web.query(lambda s: office.tracking_token(s, web.ticket(a), web.clock.now()))
            await mobile.goto(f"{base}/t/{track}")
            assert texts.STATUS["claimed"] in await mobile.inner_text("body")
            assert "13800138000" not in await mobile.content()
            if shots:
                await mobile.screenshot(path=str(SHOTS / "progress-mobile.png"), full_page=True)
            await phone.close()
            assert dialogs == []  # the <script> description never ran
            assert errors == []  # no page threw
        finally:
            await context.close()


async def test_an_admin_removes_a_follower_in_chromium(web: Harness, chromium: str, db_url: str) -> None:
    """The ticket page lists who follows it; 移除 takes one off, the flash says so, he is told."""
    from playwright.async_api import async_playwright

    tid = await web.quick_report("r1")
    await web.run("r2: /report", "r2: [tap 大城管]", "r2: [tap 道路破损]", "r2: 人行道的地砖碎了一大片")
    await web.run("r2: [tap 跳过]", "r2: [location 29.3452,120.0753]", "r2: 13900139000")
    await web.say(f"r2: [tap 是，关注 #{tid}]")
    async with served(web) as base, async_playwright() as pw:
        web.app.config.web.base_url = base
        browser = await pw.chromium.connect_over_cdp(chromium)
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = await context.new_page()
        try:
            token = await link_token(web, "admin")
            await page.goto(f"{base}/office/login/{token}")
            await page.click("#sign-in")
            await page.wait_for_url(re.compile(r"/office/tickets$"))
            await page.goto(f"{base}/office/tickets/{tid}")
            followers = page.locator("#followers")
            assert "关注人（1）" in await followers.inner_text() and "r2" in await followers.inner_text()
            assert "13900139000" not in await followers.inner_text()
            if db_url.startswith("sqlite"):
                SHOTS.mkdir(parents=True, exist_ok=True)
                await followers.screenshot(path=str(SHOTS / "ticket-followers.png"))
            await page.click("#followers button")
            await page.wait_for_selector(".flash")
            assert await page.locator(".flash").inner_text() == texts.WEB_DONE["unfollow"].format(
                id=tid, detail="r2"
            )
            assert "关注人（0）" in await page.locator("#followers").inner_text()
            assert "取消关注" in await page.locator("#timeline").inner_text()
            if db_url.startswith("sqlite"):
                await page.screenshot(path=str(SHOTS / "ticket-follower-removed.png"), full_page=True)
            await web.app.sender.flush()
            assert web.to("r2")[-1] == texts.UNFOLLOWED_BY_ADMIN.format(id=tid)
        finally:
            await context.close()


async def test_a_framed_ticket_page_is_refused_in_chromium(web: Harness, chromium: str) -> None:
    """A page of the same origin framing a signed-in ticket page gets no page to click (clickjacking)."""
    from playwright.async_api import Route, async_playwright

    tid = await web.quick_report("r1")
    await web.say(f"w1: 抢单 {tid}")
    async with served(web) as base, async_playwright() as pw:
        web.app.config.web.base_url = base
        browser = await pw.chromium.connect_over_cdp(chromium)
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = await context.new_page()
        try:
            token = await link_token(web, "admin")
            await page.goto(f"{base}/office/login/{token}")
            await page.click("#sign-in")
            await page.wait_for_url(re.compile(r"/office/tickets$"))
            answer = await page.goto(f"{base}/office/tickets/{tid}")
            assert answer is not None
            headers = await answer.all_headers()
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["x-frame-options"] == "DENY"
            assert await page.locator("#do-close").count() == 1  # the form the attacker is after

            async def attacker(route: Route) -> None:
                html = f'<iframe id="victim" src="{base}/office/tickets/{tid}" width="900"></iframe>'
                await route.fulfill(body=html, content_type="text/html")

            await page.route(f"{base}/attack.html", attacker)
            await page.goto(f"{base}/attack.html", wait_until="load")
            [framed] = [f for f in page.frames if f is not page.main_frame]
            assert (
                framed.url != f"{base}/office/tickets/{tid}" or await framed.locator("#do-close").count() == 0
            )
        finally:
            await context.close()


async def test_today_search_phone_layout_and_print_in_chromium(
    web: Harness, chromium: str, db_url: str
) -> None:
    """The today queue, a phone search, the ticket page at 1366 and at 390 px (actions first), print."""
    from datetime import timedelta

    from playwright.async_api import async_playwright

    late = await web.quick_report("r1", phone="13912345678", description="消防通道堵塞，车辆无法通行")
    web.clock.advance(timedelta(hours=5))
    mine = await web.quick_report("r2", description="春晗路路灯不亮已经三天了")
    await web.say(f"w1: 抢单 {mine}")
    await web.advance(timedelta(days=2))  # reminders and escalations: the timeline folds them
    shots = db_url.startswith("sqlite")
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with served(web) as base, async_playwright() as pw:
        web.app.config.web.base_url = base
        browser = await pw.chromium.connect_over_cdp(chromium)
        wide = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = await wide.new_page()
        try:
            token = await link_token(web, "admin")
            await page.goto(f"{base}/office/login/{token}")
            await page.click("#sign-in")
            await page.wait_for_url(re.compile(r"/office/tickets$"))
            await page.click(f"text={texts.OFFICE['nav_today']}")
            await page.wait_for_url(re.compile(r"/office/today$"))
            late_rows = page.locator("#late tr[data-id]")
            assert await late_rows.count() == 2
            assert await late_rows.first.get_attribute("data-id") == str(late)  # the most late first
            if shots:
                await page.screenshot(path=str(SHOTS / "today.png"), full_page=True)
            await page.goto(f"{base}/office/tickets")
            await page.fill("input[name=q]", "5678")
            await page.click("#apply")
            await page.wait_for_url(re.compile(r"q=5678"))
            assert await page.locator("#tickets tbody tr[data-id]").count() == 1
            if shots:
                await page.screenshot(path=str(SHOTS / "search.png"))
            await page.goto(f"{base}/office/tickets/{mine}")
            assert await page.locator("#timeline li.fold").count() >= 1
            assert await page.locator("#actions details[open]").count() >= 3  # wide: every form open
            if shots:
                await page.screenshot(path=str(SHOTS / "ticket-wide.png"), full_page=True)
            await page.check("#timeline-filter input[value=people]")
            assert not await page.locator("#timeline > li.fold").first.is_visible()
            await page.goto(f"{base}/office/tickets/{mine}/print")
            assert texts.OFFICE["print_ticket_title"].format(id=mine) in await page.inner_text("h1")
            if shots:
                await page.emulate_media(media="print")
                await page.screenshot(path=str(SHOTS / "ticket-print.png"), full_page=True)
            cookies = await wide.cookies()
        finally:
            await wide.close()
        phone = await browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
        )
        await phone.add_cookies(cookies)
        mobile = await phone.new_page()
        try:
            await mobile.goto(f"{base}/office/tickets/{mine}")
            actions = await mobile.locator("#actions").bounding_box()
            timeline = await mobile.locator("#timeline").bounding_box()
            assert actions and timeline and actions["y"] < 300 < timeline["y"]
            assert await mobile.locator("#actions details[open]").count() == 0  # a compact menu
            width = await mobile.evaluate("document.documentElement.scrollWidth")
            assert width <= 390
            if shots:
                await mobile.screenshot(path=str(SHOTS / "ticket-phone.png"))
            await mobile.tap(f"#actions summary >> text={texts.OFFICE['act_note']}")
            assert await mobile.locator("#actions details[data-action=note] textarea").is_visible()
            await mobile.goto(f"{base}/office/today")
            if shots:
                await mobile.screenshot(path=str(SHOTS / "today-phone.png"), full_page=True)
        finally:
            await phone.close()


SIZES = {"wide": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def picture() -> bytes:
    """A small JPEG, as a resident's phone sends it."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), "#7aa6c2").save(out, "JPEG")
    return out.getvalue()


async def test_the_second_step_at_both_sizes_in_chromium(
    web: Harness, chromium: str, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 1366×768 and 390×844: 仅超期, a city number found, a late reopened ticket with its deadlines,
    history and photo, a reply template picked, a bulk 驳回 with per-ticket results, the map's red
    markers, the statistics with their chart (its own request) and the printed list."""
    from datetime import timedelta

    from playwright.async_api import async_playwright

    from bot.office import photos, replies
    from models.tables import Ticket

    from .office import city_order

    monkeypatch.setattr(photos, "cache_dir", lambda office: tmp_path / "photo-cache")

    async def fetch(ref: str, most: int) -> bytes | None:
        return picture() if ref == "photo-file-id" else None

    web.app.sender.transports["console"].fetch_photo = fetch  # type: ignore[attr-defined]
    reopened = await web.quick_resolved("r1", description="小区门口井盖松动，车辆经过响声很大")
    await web.say("r1: [tap 否]")
    web.query(lambda s: setattr(s.get(Ticket, reopened), "photo", "photo-file-id"))
    unclaimed = await web.quick_report("r2", description="消防通道堵塞，车辆无法通行")
    city = await city_order(web, "BJ2026112300042", "现代花园3幢2单元")
    await web.advance(timedelta(days=2))  # both late now; reminders fold in the timeline
    spam = {
        size: [await web.quick_report(f"s{size}{n}", description="广告广告") for n in range(2)]
        for size in SIZES
    }
    template = replies.load()["note"][0]
    shots = db_url.startswith("sqlite")
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with served(web) as base, async_playwright() as pw:
        web.app.config.web.base_url = base
        browser = await pw.chromium.connect_over_cdp(chromium)
        for size, viewport in SIZES.items():
            phone = size == "phone"
            context = await browser.new_context(
                viewport=viewport, is_mobile=phone, has_touch=phone, locale="zh-CN"
            )
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))  # noqa: B023

            async def shot(name: str, full: bool = True) -> None:
                if shots:
                    await page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=full)  # noqa: B023

            try:
                token = await link_token(web, "admin")
                await page.goto(f"{base}/office/login/{token}")
                await page.click("#sign-in")
                await page.wait_for_url(re.compile(r"/office/tickets$"))
                # 仅超期: the late reopened ticket, the unclaimed one and the city order nobody signed.
                await page.check("input[name=overdue]")
                await page.click("#apply")
                await page.wait_for_url(re.compile(r"overdue=1"))
                late = {
                    int(x)
                    for x in await page.locator("#tickets tbody tr[data-id]").evaluate_all(
                        "rows => rows.map(r => r.dataset.id)"
                    )
                }
                assert {reopened, unclaimed, city} <= late and not late & set(spam[size])
                assert await page.locator("#tickets tbody tr[data-id] .tag.late").count() == len(late)
                await shot("overdue")
                # The city's 工单编号 finds its order.
                await page.goto(f"{base}/office/tickets?q=bj2026112300042")
                assert await page.locator("#tickets tbody tr[data-id]").evaluate_all(
                    "rows => rows.map(r => Number(r.dataset.id))"
                ) == [city]
                await shot("search-city", full=phone)
                # The reopened, late ticket: deadlines labelled, the old 办结 as history, the photo.
                await page.goto(f"{base}/office/tickets/{reopened}")
                assert await page.locator("#first-due").is_visible()
                assert "已超期" in await page.locator("#late-by").inner_text()
                assert "已修复" in await page.locator("#resolutions").inner_text()
                assert await page.locator("#resolved-at").count() == 0
                await page.wait_for_function(
                    "document.getElementById('report-photo').complete"
                    " && document.getElementById('report-photo').naturalWidth === 320"
                )
                # A reply template fills the 进展 text (on a phone, the form opens from the menu first).
                if phone:
                    await page.tap(f"#actions summary >> text={texts.OFFICE['act_note']}")
                await page.select_option("#actions select.reply-pick[data-target=note-text]", label=template)
                assert await page.input_value("#note-text") == template
                await shot("ticket-reopened")
                # Bulk 驳回 of this size's two spam reports (on the phone, one already rejected too:
                # refused with the chat's words, the others still done).
                chosen = spam[size] + ([spam["wide"][0]] if phone else [])
                await page.goto(f"{base}/office/tickets?q=%E5%B9%BF%E5%91%8A")
                for tid in chosen:
                    await page.check(f"input[name=ids][value='{tid}']")
                await page.select_option("#bulk-action", "reject")
                await page.fill("#bulk-reason", "广告信息，不予受理")
                await page.click("#do-bulk")
                await page.wait_for_selector("#bulk-results")
                outcome = await page.locator("#bulk-results tbody tr").evaluate_all(
                    "rows => rows.map(r => [Number(r.dataset.id), r.className])"
                )
                expected = {tid: "ok" for tid in spam[size]} | ({spam["wide"][0]: "refused"} if phone else {})
                assert dict(outcome) == expected
                await shot("bulk")
                assert all(web.ticket(t).status == "rejected" for t in spam[size])
                # The map: every open ticket with a position, the late ones red.
                await page.goto(f"{base}/office/map")
                await page.wait_for_function("window.jiesuMarkers !== undefined")
                assert await page.evaluate("window.jiesuMarkers") >= 2
                drawn = await page.evaluate(
                    "window.jiesuCluster.getLayers().map(l => {"
                    " const c = l.getPopup()._content;"
                    " return [l.options.color, (typeof c === 'function' ? c(l) : c).textContent]; })"
                )
                labels = {label.split()[0]: (colour, label) for colour, label in drawn}
                colour, label = labels[f"#{reopened}"]
                assert colour == "#d62728" and label.endswith(
                    f"{texts.CARD_STATUS['claimed']} · {texts.WEB_OVERDUE}"
                )
                await shot("map", full=False)
                # Statistics: the figures at once, the chart by its own request.
                await page.goto(f"{base}/office/stats?period=month")
                chart = "document.getElementById('chart')"
                await page.wait_for_function(f"{chart}.complete && {chart}.naturalWidth > 0")
                assert "%" in await page.locator("#rates").inner_text()
                await shot("stats")
                # The filtered list on paper.
                await page.goto(f"{base}/office/tickets/print?overdue=1")
                await page.emulate_media(media="print")
                assert str(reopened) in await page.inner_text("body")
                await shot("list-print")
                assert errors == []
            finally:
                await context.close()
