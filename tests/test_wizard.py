"""The resident's side, steps 1–2: greeting, menu and the report wizard."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers import texts
from handlers.commands import help_text
from handlers.spec import Who
from models.tables import Area, Dialog, Ticket

from .harness import Harness, write_png

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")

MENU_LABELS = [texts.BTN_REPORT, texts.BTN_MY, texts.BTN_HELP]
TOP_CATEGORIES = [
    "大城管",
    "住房",
    "物业",
    "矛盾纠纷",
    "民生服务",
    "公共安全",
    "邻里互助",
    "建议 金点子",
    "其他",
]


def state(h: Harness, user: str = "r1") -> str:
    """The wizard step a private chat is at."""
    row = h.query(lambda s: s.get(Dialog, ("console", user, user)))
    return "idle" if row is None else str(row.state)


def area_code(h: Harness, area_id: int) -> str:
    """The command code of an area."""
    return str(h.query(lambda s: s.scalar(select(Area.code).where(Area.id == area_id))))


def tickets_count(h: Harness) -> int:
    """How many tickets are stored."""
    return h.count(Ticket)


async def test_any_text_and_start_greet_with_the_menu(h: Harness) -> None:
    """A greeting and /start get the greeting and menu; text Jiesu cannot read gets the menu saying so."""
    for line in ("r1: 你好", "r2: /start"):
        out = await h.say(line)
        assert len(out) == 1, out
        assert out[0]["text"].startswith("您好！这里是北苑街道「接诉即办」服务。")
        assert out[0]["buttons"] == MENU_LABELS
    # The menu says what was not understood (a problem description starts a report instead).
    out = await h.say("r3: ？？")
    assert [(m["text"], m["buttons"]) for m in out] == [
        (texts.UNDERSTOOD_NOTHING.format(text="？？"), MENU_LABELS)
    ]


async def test_menu_buttons_open_report_my_tickets_and_help(h: Harness) -> None:
    """The menu's buttons start a report, list my tickets and show the help."""
    await h.say("r1: 你好")
    assert h.to("r1", await h.say("r1: [tap 1]")) == [texts.ASK_CATEGORY]
    await h.say("r1: /cancel")
    await h.say("r1: /start")
    assert h.to("r1", await h.say("r1: [tap 2]")) == [texts.MY_EMPTY]
    await h.say("r1: /start")
    assert h.to("r1", await h.say("r1: [tap 3]")) == [help_text([Who.RESIDENT])]


async def test_category_tree_offers_top_level_then_subcategories(h: Harness) -> None:
    """The wizard shows the eight top categories, then the items of the chosen one (兜底 item last)."""
    out = await h.say("r1: /report")
    assert out[0]["buttons"] == [*TOP_CATEGORIES, texts.BTN_CANCEL]
    out = await h.say("r1: [tap 大城管]")
    assert out[0]["text"] == "「大城管」下请再选择具体类别："
    assert out[0]["buttons"] == [
        "道路破损",
        "违章停车",
        "环境卫生",
        "绿化",
        "设施缺失",
        "其他城管问题",
        texts.BTN_BACK,
        texts.BTN_CANCEL,
    ]
    await h.say("r1: [tap 返回上一步]")
    out = await h.say("r1: [tap 物业]")
    assert out[0]["buttons"][:4] == ["电梯", "物业服务", "物业费", "小区停车"]
    out = await h.say("r1: [tap 电梯]")
    assert out[0]["text"].startswith("类别：物业/电梯\n请用文字描述问题（4–1000 字）")
    assert state(h) == "description"


async def test_category_without_subcategories_goes_straight_to_description(h: Harness) -> None:
    """A top category with no children (矛盾纠纷) asks for the description next."""
    await h.say("r1: /report")
    out = await h.say("r1: [tap 矛盾纠纷]")
    assert out[0]["text"].startswith("类别：矛盾纠纷\n")
    assert state(h) == "description"


async def test_typed_text_at_a_choice_step_asks_to_pick(h: Harness) -> None:
    """Text that is not one of the offered choices is answered with 'please pick' and changes nothing."""
    await h.say("r1: /report")
    assert h.to("r1", await h.say("r1: 随便写点")) == [texts.CHOICE_EXPECTED]
    assert state(h) == "category"
    # The label itself, typed, counts as a tap.
    await h.say("r1: 大城管")
    assert state(h) == "subcategory"


async def test_description_limits(h: Harness) -> None:
    """Too short and too long descriptions are refused with the limits; 1000 characters are accepted."""
    await h.run("r1: /report", "r1: [tap 矛盾纠纷]")
    assert h.to("r1", await h.say("r1: 吵")) == [texts.DESCRIPTION_SHORT.format(min=4)]
    too_long = "噪" * 1001
    assert h.to("r1", await h.say(f"r1: {too_long}")) == [
        texts.DESCRIPTION_LONG.format(length=1001, max=1000)
    ]
    assert state(h) == "description"
    await h.say("r1: " + "噪" * 1000)
    assert state(h) == "photo"


async def test_photo_is_attached_and_shown_to_the_handler(h: Harness, tmp_path: Path) -> None:
    """A real PNG sent at the photo step is stored and sent privately to the worker who grabs the ticket."""
    png = write_png(tmp_path / "pothole.png")
    await h.setup_grid()
    await h.run("r1: /report", "r1: [tap 大城管]", "r1: [tap 道路破损]", "r1: 人行道破了一个大坑")
    out = await h.say(f"r1: [photo {png}]")
    assert h.to("r1", out) == [texts.ASK_LOCATION]
    await h.run("r1: [location 29.3451,120.0752]", "r1: [tap 跳过]")
    await h.say("r1: [tap 确认提交]")
    tid = 1
    assert h.ticket(tid).photo == str(png)
    out = await h.say("w1@siji1: [tap 抢单]")
    photos = [m for m in out if m["chat"] == "w1" and m["photo"]]
    assert photos == [
        {"chat": "w1", "text": texts.DETAILS_PHOTO.format(id=tid), "buttons": [], "photo": str(png)}
    ]
    assert all(m["photo"] is None for m in h.group_messages())


async def test_summary_mentions_the_photo(h: Harness, tmp_path: Path) -> None:
    """The confirmation summary says a photo is attached."""
    png = write_png(tmp_path / "a.png")
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险", f"r1: [photo {png}]")
    out = await h.run("r1: [location 29.3451,120.0752]", "r1: [tap 跳过]")
    assert texts.SUMMARY_PHOTO in out[-1]["text"]


async def test_non_image_file_gets_photo_only_and_changes_nothing(h: Harness, tmp_path: Path) -> None:
    """A file that is not a picture is answered with 'photos only' and the wizard stays at the photo step."""
    doc = tmp_path / "report.pdf"
    doc.write_bytes(b"%PDF-1.4 not a picture")
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险")
    before = h.query(lambda s: dict(s.get(Dialog, ("console", "r1", "r1")).data))
    out = await h.say(f"r1: [photo {doc}]")
    assert h.to("r1", out) == [texts.PHOTO_ONLY]
    assert state(h) == "photo"
    assert h.query(lambda s: dict(s.get(Dialog, ("console", "r1", "r1")).data)) == before


async def test_text_at_photo_step_asks_for_a_photo(h: Harness) -> None:
    """Text at the photo step is answered with 'send a photo or skip'."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险")
    # Within 2 minutes text would continue the description, and 没有照片 means 跳过.
    h.clock.advance(timedelta(minutes=3))
    out = await h.say("r1: 等会儿再拍")
    assert h.to("r1", out) == [texts.PHOTO_EXPECTED]
    assert state(h) == "photo"


async def test_gps_location_routes_to_the_nearest_grid(h: Harness) -> None:
    """A GPS location picks the nearest grid, which the summary and the receipt name."""
    tid = await h.report(location="[location 29.3352,120.0948]")
    t = h.ticket(tid)
    assert area_code(h, t.area_id) == "jingfa-2"
    assert (t.lat, t.lon, t.address) == (29.3352, 120.0948, None)
    assert "已转交 经发社区 第二网格 的网格员" in h.last("r1")["text"]


async def test_far_away_location_asks_for_the_community(h: Harness) -> None:
    """A location outside the subdistrict says so, then asks the resident to choose the community."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    out = await h.say("r1: [location 39.9042,116.4074]")
    assert out[0]["text"].startswith("这个位置不在北苑街道的服务范围内。")
    assert out[1]["text"] == texts.ASK_COMMUNITY
    assert out[1]["buttons"][:5] == ["丹溪社区", "经发社区", "四季社区", "望道社区", "拥军社区"]
    await h.run("r1: [tap 望道社区]", "r1: [tap 跳过]", "r1: [tap 确认提交]")
    assert area_code(h, h.ticket(1).area_id) == "wangdao"


async def test_typed_address_asks_for_the_community(h: Harness) -> None:
    """A typed address is kept and the resident picks the community the ticket goes to."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    out = await h.say("r1: 望道路88号3单元")
    assert out[0]["text"] == texts.ASK_COMMUNITY
    out = await h.run("r1: [tap 丹溪社区]", "r1: [tap 跳过]")
    assert "地址：望道路88号3单元\n所属：丹溪社区" in out[-1]["text"]
    await h.say("r1: [tap 确认提交]")
    t = h.ticket(1)
    assert (t.address, area_code(h, t.area_id), t.lat) == ("望道路88号3单元", "danxi", None)


async def test_deep_link_prefills_the_grid(h: Harness) -> None:
    """`/start siji-2` (a scanned QR code) names the grid, and a typed address goes there without asking."""
    out = await h.say("r1: /start siji-2")
    assert out[0]["text"].startswith("已根据您扫码的位置确定网格：四季社区 第二网格。\n您好！")
    await h.run("r1: [tap 反映问题]", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    assert h.last("r1")["text"].startswith("已根据您扫码的位置确定网格：四季社区 第二网格。")
    out = await h.say("r1: 春晗路20号")
    assert out[0]["text"] == texts.ASK_PHONE
    await h.run("r1: [tap 跳过]", "r1: [tap 确认提交]")
    assert area_code(h, h.ticket(1).area_id) == "siji-2"


async def test_deep_link_to_an_unknown_code_is_a_plain_greeting(h: Harness) -> None:
    """A deep link naming no known grid greets normally and pre-fills nothing."""
    out = await h.say("r1: /start nowhere-9")
    assert out[0]["text"].startswith("您好！")
    await h.run("r1: [tap 反映问题]", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    assert h.last("r1")["text"] == texts.ASK_LOCATION


async def test_deep_link_is_used_for_one_report_only(h: Harness) -> None:
    """After a report filed from a scanned code, the next report asks for the community again."""
    await h.say("r1: /start siji-2")
    await h.report(location="春晗路20号", phone=None)
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 另一处井盖丢失", "r1: [tap 跳过]")
    out = await h.say("r1: 经发路1号")
    assert out[0]["text"] == texts.ASK_COMMUNITY


async def test_phone_numbers_mobile_landline_and_contact(h: Harness) -> None:
    """Mobiles with spaces or +86, landlines with area code and a shared contact are accepted."""
    cases = [
        ("138 0013 8000", "13800138000"),
        ("+86 139-0013-9000", "13900139000"),
        ("0579-85123456", "057985123456"),
        ("（010）12345678", "01012345678"),
        ("[contact 13700137000]", "13700137000"),
    ]
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    await h.say("r1: [location 29.3451,120.0752]")
    for typed, stored in cases:
        out = await h.say(f"r1: {typed}")
        assert texts.SUMMARY_PHONE.format(phone=stored) in out[-1]["text"].splitlines(), typed
        await h.say("r1: [tap 返回上一步]")
    await h.run("r1: 0579 8512 3456", "r1: [tap 确认提交]")
    assert h.ticket(1).phone == "057985123456"


async def test_garbage_phone_is_refused_and_changes_nothing(h: Harness) -> None:
    """A phone number neither mobile nor landline is refused and the wizard stays at the phone step."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    await h.say("r1: [location 29.3451,120.0752]")
    for bad in ("12345", "1380013800", "phone me", "23800138000", "138001380001"):
        out = await h.say(f"r1: {bad}")
        assert h.to("r1", out) == [texts.PHONE_INVALID], bad
        assert state(h) == "phone"
    assert tickets_count(h) == 0


async def test_skipping_photo_and_phone(h: Harness) -> None:
    """Photo and phone may be skipped; the ticket then has neither."""
    tid = await h.report(phone=None)
    t = h.ticket(tid)
    assert (t.photo, t.phone) == (None, None)


async def test_cancel_at_every_step(h: Harness) -> None:
    """/cancel (or 取消, or the ✖️ button) at any wizard step leaves the wizard and files nothing."""
    steps = [
        ["r1: /report"],
        ["r1: [tap 大城管]"],
        ["r1: [tap 道路破损]"],
        ["r1: 人行道破了一个大坑"],
        ["r1: [tap 跳过]"],
        ["r1: 春晗路12号"],
        ["r1: [tap 四季社区]"],
        ["r1: [tap 跳过]"],
    ]
    expected = [
        "category",
        "subcategory",
        "description",
        "photo",
        "location",
        "community",
        "phone",
        "confirm",
    ]
    ways = ("r1: /cancel", "r1: 取消", "r1: [tap 取消]")
    for n in range(1, len(steps) + 1):
        how = ways[n % 3]
        for lines in steps[:n]:
            await h.run(*lines)
        assert state(h) == expected[n - 1]
        out = await h.say(how)
        assert h.to("r1", out) == [texts.CANCELLED], (n, how)
        assert state(h) == "idle"
    assert tickets_count(h) == 0
    assert h.to("r1", await h.say("r1: /cancel")) == [texts.NOTHING_TO_CANCEL]


async def test_cancel_during_proxy_filing(h: Harness) -> None:
    """/cancel also leaves the proxy wizard at its first two steps."""
    await h.setup_grid()
    for lines in (["w1: /proxy"], ["w1: /proxy", "w1: 王阿姨"]):
        await h.run(*lines)
        assert h.to("w1", await h.say("w1: /cancel")) == [texts.CANCELLED]
        assert state(h, "w1") == "idle"


async def test_going_back_corrects_earlier_steps(h: Harness) -> None:
    """From the confirmation the resident can go back, change phone, description and category, and submit."""
    await h.run("r1: /report", "r1: [tap 大城管]", "r1: [tap 道路破损]", "r1: 人行道破了一个大坑")
    await h.run("r1: [tap 跳过]", "r1: [location 29.3451,120.0752]", "r1: 13800138000")
    assert state(h) == "confirm"
    out = await h.say("r1: [tap 返回上一步]")
    assert out[0]["text"] == texts.ASK_PHONE
    await h.say("r1: 13900139000")
    # Back to the description: confirm -> phone -> location -> photo -> description.
    for _ in range(4):
        await h.say("r1: [tap 返回上一步]")
    assert state(h) == "description"
    await h.say("r1: 人行道破了两个大坑")
    # And the category: description -> ... back to the subcategory list.
    await h.say("r1: [tap 返回上一步]")
    await h.say("r1: [tap 返回上一步]")
    assert state(h) == "subcategory"
    await h.run("r1: [tap 设施缺失]", "r1: 人行道破了两个大坑，井盖也没了", "r1: [tap 跳过]")
    out = await h.run("r1: [location 29.3451,120.0752]", "r1: [tap 跳过]")
    assert out[-1]["text"] == texts.CONFIRM.format(
        summary="类别：大城管/设施缺失\n描述：人行道破了两个大坑，井盖也没了\n"
        "位置：已定位（四季社区 第一网格）"
    )
    out = await h.say("r1: [tap 确认提交]")
    t = h.ticket(1)
    assert (t.category_code, t.description, t.phone, t.tier) == (
        "facility",
        "人行道破了两个大坑，井盖也没了",
        None,
        "difficult",
    )


async def test_back_at_the_first_step_repeats_the_question(h: Harness) -> None:
    """A back button with nowhere to go repeats the current question (forged: the first step has none)."""
    await h.say("r1: /report")
    _, out = await h.send("r1", payload="wz:back")
    assert h.to("r1", out) == [texts.ASK_CATEGORY]
    assert state(h) == "category"


async def test_confirm_step_wants_the_button(h: Harness) -> None:
    """Text at the confirmation step is answered with how to confirm, back or cancel; nothing is filed."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    await h.run("r1: [location 29.3451,120.0752]", "r1: [tap 跳过]")
    out = await h.say("r1: 等一下再说")  # 好的 / 是的 / 确认 would submit
    assert h.to("r1", out) == [texts.CONFIRM_EXPECTED]
    assert tickets_count(h) == 0
    assert state(h) == "confirm"


async def test_confirm_tells_number_category_tier_and_area(h: Harness) -> None:
    """Submitting tells the ticket number, the category, the 135 tier and the grid it went to."""
    await h.run("r1: /report", "r1: [tap 物业]", "r1: [tap 电梯]", "r1: 3号楼电梯困人，门打不开")
    out = await h.run(
        "r1: [tap 跳过]", "r1: [location 29.3451,120.0752]", "r1: [tap 跳过]", "r1: [tap 确认提交]"
    )
    assert h.to("r1", out)[-1] == texts.SUBMITTED.format(
        id=1,
        category="物业/电梯",
        tier=texts.TIER["difficult"],
        handed=texts.SUBMITTED_TO["grid"].format(area="四季社区 第一网格"),
    )
    assert state(h) == "idle"
    t = h.ticket(1)
    assert (t.status, t.tier, t.source, t.category_code) == ("open", "difficult", "self", "elevator")


async def test_suggestion_category_has_no_deadline_tier(h: Harness) -> None:
    """A 金点子 suggestion is filed with the no-deadline tier and the receipt says so."""
    tid = await h.report(category=("建议 金点子",), description="建议在小区门口增设非机动车停车棚")
    assert h.ticket(tid).tier == "none"
    assert f"办理时限：{texts.TIER['none']}" in h.last("r1")["text"]


async def test_two_residents_fill_the_wizard_independently(h: Harness) -> None:
    """Two residents interleaving their reports do not see each other's answers."""
    await h.run("r1: /report", "r2: /report", "r1: [tap 矛盾纠纷]", "r2: [tap 其他]")
    await h.run("r1: 楼上邻居夜里装修", "r2: 路边井盖丢失了")
    await h.run("r1: [tap 跳过]", "r2: [tap 跳过]", "r2: [location 29.3451,120.0752]")
    await h.run("r1: [location 29.3352,120.0948]", "r1: [tap 跳过]", "r2: [tap 跳过]")
    await h.run("r2: [tap 确认提交]", "r1: [tap 确认提交]")
    t1, t2 = h.ticket(1), h.ticket(2)
    assert (t1.category_code, t1.description, area_code(h, t1.area_id)) == (
        "other",
        "路边井盖丢失了",
        "siji-1",
    )
    assert (t2.category_code, t2.description, area_code(h, t2.area_id)) == (
        "dispute",
        "楼上邻居夜里装修",
        "jingfa-2",
    )
    assert t1.resident_id != t2.resident_id
