"""The resident's report wizard through Telegram updates, rendered the Telegram way."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers import texts
from models.tables import Area, Dialog, Outbox, Person, SeenKey, Ticket

from .tgfake import DESCRIPTION, NEAR_GRID, FakeBotApi, Tg, Updates, cast, setup_grid


def wizard_state(tg: Tg, user_id: int) -> str:
    """The wizard step of a resident's private chat."""
    row = tg.query(lambda s: s.get(Dialog, ("telegram", str(user_id), str(user_id))))
    return "idle" if row is None else str(row.state)


def count(tg: Tg, table: type) -> int:
    """Rows in a table."""
    return int(tg.query(lambda s: s.scalar(select(func.count()).select_from(table))))


def inline_labels(message: dict[str, object]) -> list[str]:
    """Labels of a sent message's inline keyboard, row by row flattened."""
    markup = message.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def reply_keyboard(message: dict[str, object]) -> list[list[dict[str, object]]]:
    """The reply keyboard of a sent message."""
    markup = message.get("reply_markup")
    assert isinstance(markup, dict) and "keyboard" in markup, message
    return markup["keyboard"]


async def test_whole_wizard_with_photo_and_location(tg: Tg) -> None:
    """A resident files a report with a photo and a GPS location; the grid's group gets a card with 抢单."""
    c = await setup_grid(tg)
    u, r1 = tg.u, c.r1
    await tg.send(u.text(r1, "你好"))
    greeting = tg.api.sent(r1["id"])[-1]
    assert greeting["text"].startswith("您好！这里是北苑街道「接诉即办」服务。")
    assert inline_labels(greeting) == [texts.BTN_REPORT, texts.BTN_MY, texts.BTN_HELP]
    await tg.tap(r1, r1["id"], "反映问题")
    assert tg.api.texts(r1["id"])[-1] == texts.ASK_CATEGORY
    await tg.tap(r1, r1["id"], "大城管")
    await tg.tap(r1, r1["id"], "道路破损")
    assert tg.api.texts(r1["id"])[-1].startswith("类别：大城管/道路破损")
    await tg.send(u.text(r1, DESCRIPTION))
    assert tg.api.texts(r1["id"])[-1] == texts.ASK_PHOTO
    update, largest = u.photo(r1)
    await tg.send(update)
    # The location step: a reply keyboard whose first button asks Telegram for the location.
    ask_location = tg.api.sent(r1["id"])[-1]
    assert ask_location["text"] == texts.ASK_LOCATION
    keyboard = reply_keyboard(ask_location)
    assert keyboard[0] == [{"text": "📍 发送位置", "request_location": True}]
    assert [b["text"] for b in keyboard[-1]] == [texts.BTN_BACK, texts.BTN_CANCEL]
    await tg.send(u.location(r1, *NEAR_GRID))
    ask_phone = tg.api.sent(r1["id"])[-1]
    assert ask_phone["text"] == texts.ASK_PHONE
    assert reply_keyboard(ask_phone)[0] == [{"text": "📱 分享手机号", "request_contact": True}]
    await tg.send(u.contact(r1, "8613800138000"))
    # The 📱 keyboard is closed before the confirmation, whose buttons are inline.
    closing, confirm = tg.api.sent(r1["id"])[-2:]
    assert closing["text"] == texts.TG_KEYBOARD_CLOSED
    assert closing["reply_markup"] == {"remove_keyboard": True}
    assert "照片：已附 1 张" in confirm["text"] and "电话：13800138000" in confirm["text"]
    assert inline_labels(confirm) == [texts.BTN_SUBMIT, texts.BTN_BACK, texts.BTN_CANCEL]
    await tg.tap(r1, r1["id"], "确认提交")
    assert tg.api.texts(r1["id"])[-1].startswith("已受理！工单编号 #1。")
    ticket = tg.query(lambda s: s.get(Ticket, 1))
    assert ticket.photo == largest
    assert (ticket.lat, ticket.lon) == NEAR_GRID
    assert ticket.phone == "13800138000"
    assert tg.query(lambda s: s.get(Area, ticket.area_id).code) == "siji-1"
    card = tg.api.sent(c.group["id"])[-1]
    assert card["text"].startswith("【新工单 #1】大城管/道路破损")
    assert "13800138000" not in card["text"]
    assert card["reply_markup"] == {
        "inline_keyboard": [[{"text": texts.BTN_GRAB, "callback_data": "grab:1"}]]
    }


async def test_typed_answers_to_a_reply_keyboard_step(tg: Tg) -> None:
    """At the 📍 step, typing the back label works as the button, and a typed address goes on."""
    c = cast(tg.u)
    r1 = c.r1
    await tg.send(tg.u.text(r1, "/start siji-2"))  # scanned QR code of 第二网格
    await tg.send(tg.u.text(r1, "/report"))
    await tg.tap(r1, r1["id"], "其他")
    await tg.send(tg.u.text(r1, "小区门口井盖丢失很危险"))
    await tg.tap(r1, r1["id"], "跳过")
    assert wizard_state(tg, r1["id"]) == "location"
    await tg.send(tg.u.text(r1, texts.BTN_BACK))  # the reply-keyboard button sends its label
    assert wizard_state(tg, r1["id"]) == "photo"
    await tg.tap(r1, r1["id"], "跳过")
    await tg.send(tg.u.text(r1, "春晗路12号3单元"))
    assert wizard_state(tg, r1["id"]) == "phone"  # the deep link named the grid: no community question
    await tg.send(tg.u.text(r1, texts.BTN_SKIP))
    assert wizard_state(tg, r1["id"]) == "confirm"


async def test_deep_link_start_prefills_the_grid(tg: Tg) -> None:
    """`t.me/<bot>?start=siji-2` arrives as `/start siji-2`: the greeting names the grid."""
    r1 = cast(tg.u).r1
    await tg.send(tg.u.text(r1, "/start siji-2"))
    assert tg.api.texts(r1["id"])[-1].startswith("已根据您扫码的位置确定网格：四季社区 第二网格。")


async def test_venue_counts_as_a_location(tg: Tg) -> None:
    """A venue picked from the map is taken as the location of the problem."""
    r1 = cast(tg.u).r1
    await tg.send(tg.u.text(r1, "/report"))
    await tg.tap(r1, r1["id"], "其他")
    await tg.send(tg.u.text(r1, "小区门口井盖丢失很危险"))
    await tg.tap(r1, r1["id"], "跳过")
    await tg.send(tg.u.venue(r1, *NEAR_GRID, "春晗小区", "春晗路12号"))
    assert wizard_state(tg, r1["id"]) == "phone"
    data = tg.query(lambda s: s.get(Dialog, ("telegram", "1001", "1001")).data)
    assert (data["lat"], data["lon"]) == NEAR_GRID


async def test_someone_elses_contact_is_not_taken_as_the_phone(tg: Tg) -> None:
    """A contact card of another person at the phone step is refused; the wizard stays at the phone step."""
    c = cast(tg.u)
    r1 = c.r1
    await tg.send(tg.u.text(r1, "/report"))
    await tg.tap(r1, r1["id"], "其他")
    await tg.send(tg.u.text(r1, "小区门口井盖丢失很危险"))
    await tg.tap(r1, r1["id"], "跳过")
    await tg.send(tg.u.location(r1, *NEAR_GRID))
    await tg.send(tg.u.contact(r1, "8613912345678", owner=c.w1))
    assert tg.api.texts(r1["id"])[-1] == texts.PHONE_INVALID
    assert wizard_state(tg, r1["id"]) == "phone"


async def test_a_document_is_answered_photo_only_but_a_picture_file_is_a_photo(tg: Tg) -> None:
    """A PDF at the photo step gets 'photos only'; a JPEG sent as a file is accepted as the photo."""
    r1 = cast(tg.u).r1
    await tg.send(tg.u.text(r1, "/report"))
    await tg.tap(r1, r1["id"], "其他")
    await tg.send(tg.u.text(r1, "小区门口井盖丢失很危险"))
    await tg.send(tg.u.document(r1, "application/pdf", "报告.pdf")[0])
    assert tg.api.texts(r1["id"])[-1] == texts.PHOTO_ONLY
    assert wizard_state(tg, r1["id"]) == "photo"
    await tg.send(tg.u.sticker(r1))
    assert tg.api.texts(r1["id"])[-1] == texts.PHOTO_ONLY
    update, ref = tg.u.document(r1, "image/jpeg", "IMG_0001.jpg")
    await tg.send(update)
    assert wizard_state(tg, r1["id"]) == "location"
    dialog = tg.query(lambda s: s.get(Dialog, ("telegram", "1001", "1001")))
    assert dialog.data["photo"] == ref


async def test_the_picture_file_reaches_the_worker_as_a_document(tg: Tg) -> None:
    """A photo the resident sent as a file is shown to the worker who grabs the ticket (as a document)."""
    c = await setup_grid(tg)
    r1 = c.r1
    await tg.send(tg.u.text(r1, "/report"))
    await tg.tap(r1, r1["id"], "其他")
    await tg.send(tg.u.text(r1, "小区门口井盖丢失很危险"))
    update, ref = tg.u.document(r1, "image/png", "scan.png")
    await tg.send(update)
    await tg.send(tg.u.location(r1, *NEAR_GRID))
    await tg.tap(r1, r1["id"], "跳过")
    await tg.tap(r1, r1["id"], "确认提交")
    await tg.tap(c.w1, c.group["id"], "抢单")
    documents = tg.api.of("sendDocument")
    assert [(d["chat_id"], d["document"]) for d in documents] == [(c.w1["id"], ref)]
    assert documents[0]["caption"] == texts.DETAILS_PHOTO.format(id=1)


async def test_commands_for_another_bot_are_ignored(tg: Tg) -> None:
    """`/start@other_bot` in a group is not for us: nothing is stored and nothing is sent."""
    c = cast(tg.u)
    before = count(tg, SeenKey)
    await tg.send(tg.u.text(c.admin, "/bind@other_bot siji-1", chat=c.group))
    assert count(tg, SeenKey) == before
    assert tg.api.sent(c.group["id"]) == []
    await tg.send(tg.u.text(c.admin, "/bind@Jiesu_Test_Bot siji-1", chat=c.group))
    assert tg.api.texts(c.group["id"]) == [texts.BIND_DONE.format(area="四季社区 第一网格", code="siji-1")]


async def test_service_messages_and_other_bots_are_ignored(tg: Tg) -> None:
    """Members joining a group and messages from other bots reach nobody and store nothing."""
    c = cast(tg.u)
    other_bot = {"id": 555, "is_bot": True, "first_name": "天气机器人", "username": "weather_bot"}
    await tg.send(
        tg.u.service(c.w1, c.group, new_chat_members=[c.w1]),
        tg.u.text(other_bot, "/bind siji-1", chat=c.group),
    )
    assert count(tg, SeenKey) == 0 and count(tg, Outbox) == 0


async def test_names_and_ids_come_from_telegram(tg: Tg) -> None:
    """A person is stored with the Telegram user id, full name and username; their chat id is the user id."""
    r1 = cast(tg.u).r1
    await tg.send(tg.u.text(r1, "你好"))
    person = tg.query(lambda s: s.scalar(select(Person).where(Person.external_id == "1001")))
    assert (person.channel, person.name, person.handle, person.chat_id) == (
        "telegram",
        "李 阿姨",
        "li_ayi",
        "1001",
    )


async def test_redelivered_update_is_processed_once(tg: Tg) -> None:
    """The same update delivered twice (Telegram retrying) files and answers only once."""
    r1 = cast(tg.u).r1
    update = tg.u.text(r1, "/report")
    await tg.send(update)
    await tg.send(update)
    assert tg.api.texts(r1["id"]) == [texts.ASK_CATEGORY]
    message, data = tg.api.button(r1["id"], "其他")
    tap = tg.u.callback(r1, message, data)
    await tg.send(tap, tap)
    assert wizard_state(tg, r1["id"]) == "description"
    assert len(tg.api.texts(r1["id"])) == 2
    # Both deliveries of the tap were answered (the second one fails at Telegram: already answered).
    assert len(tg.api.attempts("answerCallbackQuery")) == 2


async def test_restart_in_the_middle_of_the_wizard_continues(db_url: str) -> None:
    """A new process (new App, new PTB Application) on the same database goes on where the resident was."""
    api = FakeBotApi()
    updates = Updates(api)
    first = await Tg.create(db_url, api=api, updates=updates)
    c = await setup_grid(first)
    r1 = c.r1
    await first.send(updates.text(r1, "/report"))
    await first.tap(r1, r1["id"], "大城管")
    await first.tap(r1, r1["id"], "道路破损")
    await first.send(updates.text(r1, DESCRIPTION))
    last = updates.photo(r1)[0]
    await first.send(last)
    await first.close()

    second = await Tg.create(db_url, api=api, updates=updates)
    try:
        assert wizard_state(second, r1["id"]) == "location"
        await second.send(last)  # Telegram redelivers the last update after the restart: nothing happens
        assert wizard_state(second, r1["id"]) == "location"
        await second.send(updates.location(r1, *NEAR_GRID))
        await second.tap(r1, r1["id"], "跳过")
        await second.tap(r1, r1["id"], "确认提交")
        assert api.texts(r1["id"])[-1].startswith("已受理！工单编号 #1。")
        ticket = second.query(lambda s: s.get(Ticket, 1))
        assert ticket.description == DESCRIPTION and ticket.photo is not None
        assert api.texts(c.group["id"])[-1].startswith("【新工单 #1】")
    finally:
        await second.close()


async def test_proxy_phone_step_offers_no_share_my_number_button(tg: Tg) -> None:
    """Filing for a resident, the staff member is asked for the resident's number, with no 📱 (own) button."""
    c = await setup_grid(tg)
    u, w1 = tg.u, c.w1
    await tg.send(u.text(w1, "/proxy"), u.text(w1, "王阿姨"))
    await tg.tap(w1, w1["id"], "夜访")
    await tg.tap(w1, w1["id"], "住房")
    await tg.tap(w1, w1["id"], "水电气暖")
    await tg.send(u.text(w1, "3号楼停水两天了"))
    await tg.tap(w1, w1["id"], "跳过")
    await tg.send(u.location(w1, *NEAR_GRID))
    ask_phone = tg.api.sent(w1["id"])[-1]
    assert ask_phone["text"] == texts.ASK_PROXY_PHONE
    assert "request_contact" not in str(ask_phone.get("reply_markup"))
    assert inline_labels(ask_phone) == [texts.BTN_SKIP, texts.BTN_BACK, texts.BTN_CANCEL]
    await tg.send(u.text(w1, "139 0013 9000"))
    assert "电话：13900139000" in tg.api.texts(w1["id"])[-1]
