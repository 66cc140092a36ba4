"""Photos and phones as residents send them: a photo first starts the report, several photos are kept
and shown to the handler, a phone number inside a sentence is taken."""

from __future__ import annotations

from pathlib import Path

from handlers import texts
from models.tables import Ticket, TicketPhoto

from .harness import Harness, write_png
from .office import client, office_with_grids, sign_in
from .tgfake import NEAR_GRID, Tg, cast
from .wxfake import WxEnv, openid

LOCATION = "[location 29.3451,120.0752]"
R1 = openid("r1")
PHOTO = "https://mmbiz.qpic.cn/test/photo.jpg"


def photos(tmp_path: Path, n: int) -> list[Path]:
    return [write_png(tmp_path / f"p{i}.png", (40 * i, 0, 0)) for i in range(1, n + 1)]


async def test_a_photo_sent_first_starts_the_report_with_it(h: Harness, tmp_path: Path) -> None:
    """Photo, then the words: the report starts with the photo and skips the photo step."""
    (a,) = photos(tmp_path, 1)
    out = await h.say(f"r1: [photo {a}]")
    assert h.to("r1", out) == [texts.PHOTO_FIRST]
    await h.say("r1: 楼道灯坏了好几天了，现代花园3幢")
    out = await h.say("r1: [tap 物业/其他物业问题]")
    assert h.to("r1", out)[-1].startswith(texts.ASK_LOCATION[:10])  # no photo question
    await h.say(f"r1: {LOCATION}")
    out = await h.say("r1: [tap 跳过]")
    assert texts.SUMMARY_PHOTO in h.to("r1", out)[0]
    out = await h.say("r1: [tap 确认提交]")
    assert h.to("r1", out)[0].startswith("已受理！工单编号 #1")
    assert h.ticket(1).photo == str(a)


async def test_a_photo_sent_first_is_kept_for_a_report_started_by_command(h: Harness, tmp_path: Path) -> None:
    """Photo, then /report: category, description, and then the location (the photo is there)."""
    (a,) = photos(tmp_path, 1)
    await h.say(f"r1: [photo {a}]")
    tid = await _through_location(h, "r1")
    assert h.ticket(tid).photo == str(a)


async def _through_location(h: Harness, user: str) -> int:
    await h.say(f"{user}: /report")
    await h.say(f"{user}: [tap 大城管]")
    await h.say(f"{user}: [tap 道路破损]")
    out = await h.say(f"{user}: 春晗路12号门口人行道沉降破损约2平方米")
    assert h.to(user, out)[-1].startswith(texts.ASK_LOCATION[:10])
    await h.say(f"{user}: {LOCATION}")
    await h.say(f"{user}: [tap 跳过]")
    out = await h.say(f"{user}: [tap 确认提交]")
    return int(h.to(user, out)[0].split("#")[1].split("。")[0])


async def test_several_photos_are_kept_up_to_the_limit_and_shown_to_the_handler(
    h: Harness, tmp_path: Path
) -> None:
    """Four photos with max_photos 3: three kept (the fourth refused), the worker who grabs sees all three."""
    await h.setup_grid()
    a, b, c, d = photos(tmp_path, 4)
    await h.say("r1: /report")
    await h.say("r1: [tap 大城管]")
    await h.say("r1: [tap 道路破损]")
    await h.say("r1: 春晗路12号门口人行道沉降破损约2平方米")
    await h.say(f"r1: [photo {a}]")
    out = await h.say(f"r1: [photo {b}]")
    assert h.to("r1", out) == [texts.PHOTO_ADDED.format(count=2, limit=3)]
    out = await h.say(f"r1: [photo {c}]")
    assert h.to("r1", out) == [texts.PHOTO_ADDED.format(count=3, limit=3)]
    out = await h.say(f"r1: [photo {d}]")
    assert h.to("r1", out) == [texts.PHOTOS_FULL.format(limit=3)]
    await h.say(f"r1: {LOCATION}")
    out = await h.say("r1: [tap 跳过]")
    assert texts.SUMMARY_PHOTOS.format(count=3) in h.to("r1", out)[0]
    out = await h.say("r1: [tap 确认提交]")
    assert h.to("r1", out)[0].startswith("已受理！工单编号 #1")
    assert h.ticket(1).photo == str(a)
    assert h.query(
        lambda s: [(p.position, p.ref) for p in s.query(TicketPhoto).order_by(TicketPhoto.position)]
    ) == [
        (2, str(b)),
        (3, str(c)),
    ]
    out = await h.say("w1@siji1: [tap 抢单]")
    sent = [m["photo"] for m in out if m["chat"] == "w1" and m.get("photo")]
    assert sent == [str(a), str(b), str(c)]
    assert texts.DETAILS_PHOTO_MORE.format(n=3, count=3, id=1) in h.to("w1", out)


async def test_a_phone_inside_a_sentence_is_taken(h: Harness) -> None:
    """我电话13912345678，你们打给我 at the phone step: the number is kept; two numbers are asked again."""
    await h.say("r1: /report")
    await h.say("r1: [tap 大城管]")
    await h.say("r1: [tap 道路破损]")
    await h.say("r1: 春晗路12号门口人行道沉降破损约2平方米")
    await h.say("r1: [tap 跳过]")
    await h.say(f"r1: {LOCATION}")
    out = await h.say("r1: 13912345678或者13800138000都行")
    assert h.to("r1", out)[0] == texts.PHONE_INVALID
    out = await h.say("r1: 我电话13912345678，你们打给我")
    assert texts.SUMMARY_PHONE.format(phone="13912345678") in h.to("r1", out)[0]
    await h.say("r1: [tap 确认提交]")
    assert h.ticket(1).phone == "13912345678"
    assert h.count(Ticket) == 1


async def test_telegram_photo_first_several_photos_and_a_phone_in_words(tg: Tg) -> None:
    """On Telegram: a photo, the words, a second photo at the location step, a phone in a sentence."""
    u, r1 = tg.u, cast(tg.u).r1
    first, largest = u.photo(r1)
    await tg.send(first)
    assert tg.api.texts(r1["id"])[-1] == texts.PHOTO_FIRST
    await tg.send(u.text(r1, "楼道灯坏了好几天了，现代花园3幢"))
    await tg.tap(r1, r1["id"], "物业/其他物业问题")
    assert tg.api.texts(r1["id"])[-1] == texts.ASK_LOCATION
    second, second_largest = u.photo(r1)
    await tg.send(second)
    assert tg.api.texts(r1["id"])[-1] == texts.PHOTO_ADDED.format(count=2, limit=3)
    await tg.send(u.location(r1, *NEAR_GRID))
    await tg.send(u.text(r1, "我电话13912345678，你们打给我"))
    confirm = tg.api.texts(r1["id"])[-1]
    assert "照片：已附 2 张" in confirm and "电话：13912345678" in confirm
    await tg.tap(r1, r1["id"], "确认提交")
    ticket = tg.query(lambda s: s.get(Ticket, 1))
    assert (ticket.photo, ticket.phone) == (largest, "13912345678")
    assert tg.query(lambda s: [p.ref for p in s.query(TicketPhoto)]) == [second_largest]


async def test_wechat_photo_first_then_the_words(wx: WxEnv) -> None:
    """On WeChat: an image first is kept; the description's suggestions come as numbered options."""
    assert await wx.image(R1, PHOTO) == texts.PHOTO_FIRST
    suggested = await wx.text(R1, "楼道灯坏了好几天了，现代花园3幢")
    assert "回复 1：物业/其他物业问题" in suggested
    assert (await wx.text(R1, "1")).startswith(texts.ASK_LOCATION)
    assert (await wx.location(R1, 29.3451, 120.0752)).startswith(texts.ASK_PHONE)
    confirm = await wx.text(R1, "电话 139 1234 5678 白天都在")
    assert "照片：已附 1 张" in confirm and "电话：13912345678" in confirm
    assert (await wx.text(R1, "1")).startswith("已受理！工单编号 #1。")
    ticket = wx.app.db.run_sync(lambda s: s.get(Ticket, 1))
    assert (ticket.photo, ticket.phone) == (PHOTO, "13912345678")


async def test_the_office_shows_every_photo_of_a_report(db_url: str, tmp_path: Path) -> None:
    """The ticket page shows the second and third photos too, each served cleaned; a photo not kept is 404."""
    a, b, c = photos(tmp_path, 3)
    async with office_with_grids(db_url) as web:
        await web.say("r1: /report")
        await web.say("r1: [tap 大城管]")
        await web.say("r1: [tap 道路破损]")
        await web.say("r1: 春晗路12号门口人行道沉降破损约2平方米")
        for p in (a, b, c):
            await web.say(f"r1: [photo {p}]")
        await web.say(f"r1: {LOCATION}")
        await web.say("r1: [tap 跳过]")
        await web.say("r1: [tap 确认提交]")
        async with client(web) as http:
            await sign_in(web, http, "admin")
            page = (await http.get("/office/tickets/1")).text
            assert (
                'id="report-photo"' in page
                and 'id="report-photo-2"' in page
                and 'id="report-photo-3"' in page
            )
            for which in ("report", "report-2", "report-3"):
                served = await http.get(f"/office/tickets/1/photo/{which}")
                assert served.status_code == 200 and served.headers["content-type"] == "image/png", which
            assert (await http.get("/office/tickets/1/photo/report-4")).status_code == 404


async def test_erasing_a_resident_removes_every_photo_of_the_report(h: Harness, tmp_path: Path) -> None:
    """/erase r1: the first photo and the further ones are gone, files and rows."""
    await h.setup_grid()
    a, b = photos(tmp_path, 2)
    await h.say("r1: /report")
    await h.say("r1: [tap 大城管]")
    await h.say("r1: [tap 道路破损]")
    await h.say("r1: 春晗路12号门口人行道沉降破损约2平方米")
    await h.say(f"r1: [photo {a}]")
    await h.say(f"r1: [photo {b}]")
    await h.say(f"r1: {LOCATION}")
    await h.say("r1: [tap 跳过]")
    await h.say("r1: [tap 确认提交]")
    assert h.count(TicketPhoto) == 1
    await h.say("admin: /erase r1")
    assert h.ticket(1).photo is None and h.count(TicketPhoto) == 0
    assert not a.exists() and not b.exists()
