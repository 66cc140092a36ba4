"""Staff on 企业微信: URL check, encrypted callbacks, unknown members, cards, the grab race, commands."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.channels.console import Console
from bot.channels.wecom import WecomChannel
from bot.channels.wecom_api import WecomClient
from bot.channels.wecom_transport import CLOSED_KEY
from bot.cli import main
from bot.config import WecomConfig
from bot.runtime import StartupError
from handlers import texts
from handlers.payloads import Grab
from models.messages import Reply
from models.outbox import enqueue
from models.store.database import Database
from models.tables import ChatBinding, Outbox, OutboxStatus, Person, RoleGrant, Ticket

from .harness import Harness
from .wecomfake import AGENT_ID, CORP_ID, SECRET, WecomEnv

WORKERS = ("w1", "w2", "w3")


@pytest.fixture
async def wc(db_url: str) -> AsyncIterator[WecomEnv]:
    """The app with the WeCom channel, a WeCom admin `boss`, and the fake WeCom."""
    env = await WecomEnv.create(db_url)
    try:
        yield env
    finally:
        await env.close()


def console(wc: WecomEnv) -> Harness:
    """The console beside the WeCom channel on the same app (residents report there)."""
    return Harness(wc.app, Console(wc.app, wc.console), wc.console, wc.clock)


def count(wc: WecomEnv, model: type) -> int:
    """Rows of a table."""
    return int(wc.app.db.run_sync(lambda s: s.scalar(select(func.count()).select_from(model))))


async def staff_up(wc: WecomEnv, *workers: str) -> None:
    """Workers write once (and learn their id), the admin grants them siji-1, the card chats follow."""
    for w in workers:
        assert (await wc.text(w, "你好")).status_code == 200
        await wc.text("boss", f"/grant {w} worker siji-1")
    await wc.deliver()
    await wc.channel.housekeep()


async def test_url_verification_answers_the_decrypted_echostr(wc: WecomEnv) -> None:
    """Saving 接收消息 settings: the right msg_signature gets the plain echostr, a forged one 403."""
    answer = await wc.verify_url("echo-42")
    assert (answer.status_code, answer.text) == (200, "echo-42")
    forged = await wc.http.get(
        "/wecom", params={"msg_signature": "0" * 40, "timestamp": "1", "nonce": "n", "echostr": "abc"}
    )
    assert forged.status_code == 403


async def test_forged_stale_replayed_and_foreign_callbacks_change_nothing(wc: WecomEnv) -> None:
    """A bad signature, an old timestamp, a reused nonce or another corp's ciphertext is refused."""
    xml = wc.xml("w1", "text", Content="你好", MsgId="1")
    query = {"msg_signature": "f" * 40, "timestamp": str(int(wc.clock.now().timestamp())), "nonce": "n1"}
    assert (await wc.post(xml, query=query)).status_code == 403
    stale = int(wc.clock.now().timestamp()) - 3600
    encrypted = wc.encrypt(xml)
    old = wc.query(encrypted, timestamp=stale)
    assert (await wc.post(xml, query=old, encrypted=encrypted)).status_code == 403
    assert (await wc.post(xml, corp="wwsomeoneelse000")).status_code == 400
    people_before = count(wc, Outbox)
    fixed = wc.query(encrypted, nonce="once")
    assert (await wc.post(xml, query=fixed, encrypted=encrypted)).status_code == 200
    again = await wc.post(xml, query=fixed, encrypted=encrypted)
    assert again.status_code == 403  # the same nonce again: a replay
    await wc.deliver()
    assert count(wc, Outbox) == people_before + 1  # one answer, to the one accepted callback


async def test_unknown_member_is_told_their_id_and_can_do_nothing(wc: WecomEnv) -> None:
    """A member with no role gets their userid for the admin; a staff command changes nothing."""
    await wc.text("stranger", "我的任务")
    await wc.text("stranger", "/assign 1 stranger")
    await wc.deliver()
    said = wc.fake.texts_to("stranger")
    assert said == [texts.WECOM_NOT_STAFF.format(id="stranger")] * 2
    assert count(wc, Ticket) == 0


async def test_three_workers_get_a_card_two_tap_one_wins_every_card_updated(wc: WecomEnv) -> None:
    """The grab race on WeCom: one card to the grid, two taps at once, one winner, the card updated."""
    await staff_up(wc, *WORKERS)
    bound = wc.app.db.run_sync(
        lambda s: s.scalars(select(ChatBinding.chat_id).where(ChatBinding.channel == "wecom")).all()
    )
    assert list(bound) == ["-area:siji-1"]
    h = console(wc)
    ticket_id = await h.report("r1")
    await wc.deliver()
    [sent] = [m for m in wc.fake.sent if m["msgtype"] == "template_card"]
    assert sent["touser"].split("|") == list(WORKERS)
    card = sent["template_card"]
    assert card["main_title"]["title"].startswith(f"【新工单 #{ticket_id}】")
    assert "13800138000" not in str(card)
    [button] = card["button_list"]
    assert button["key"] == Grab(ticket_id).pack()
    answers = await asyncio.gather(*(wc.tap(w, button["key"], card["task_id"]) for w in ("w1", "w2")))
    assert [a.status_code for a in answers] == [200, 200]
    await wc.deliver()
    ticket = wc.app.db.run_sync(lambda s: s.get(Ticket, ticket_id))
    assert ticket.status == "claimed"
    winner, loser = (
        ("w1", "w2") if texts.GRAB_WON.format(id=ticket_id) in wc.fake.texts_to("w1") else ("w2", "w1")
    )
    assert texts.GRAB_WON.format(id=ticket_id) in wc.fake.texts_to(winner)
    assert any("13800138000" in t for t in wc.fake.texts_to(winner))
    assert not any("13800138000" in t for t in wc.fake.texts_to(loser) + wc.fake.texts_to("w3"))
    assert any(t.startswith("手慢了") for t in wc.fake.texts_to(loser))
    [update] = wc.fake.updates
    assert update["atall"] == 1 and update["response_code"] == "code" + update["response_code"][4:]
    assert "办理人" in update["template_card"]["sub_title_text"]
    assert update["template_card"]["button_list"][0]["key"] == CLOSED_KEY


async def test_tap_on_a_taken_card_or_a_finished_button_is_refused(wc: WecomEnv) -> None:
    """A late tap on a claimed ticket's card, or on the greyed button, is answered and changes nothing."""
    await staff_up(wc, "w1", "w2")
    h = console(wc)
    ticket_id = await h.report("r1")
    await wc.deliver()
    await wc.tap("w1", Grab(ticket_id).pack(), "t")
    await wc.deliver()
    await wc.tap("w2", Grab(ticket_id).pack(), "t")
    await wc.tap("w2", CLOSED_KEY, "t")
    await wc.deliver()
    said = wc.fake.texts_to("w2")
    assert any(t.startswith("手慢了") for t in said)
    assert texts.BUTTON_EXPIRED in said
    ticket = wc.app.db.run_sync(lambda s: s.get(Ticket, ticket_id))
    assert ticket.handler_id is not None and ticket.status == "claimed"


async def test_staff_commands_typed_in_the_app_chat(wc: WecomEnv) -> None:
    """见面 and 我的任务 work as in a Telegram private chat; a retried callback runs once."""
    await staff_up(wc, "w1")
    h = console(wc)
    ticket_id = await h.report("r1")
    await wc.deliver()
    await wc.tap("w1", Grab(ticket_id).pack(), "t")
    xml = wc.xml("w1", "text", Content=f"见面 {ticket_id}", MsgId="555")
    await wc.post(xml)
    await wc.post(xml)  # WeCom retries with a new nonce: the MsgId is the same
    await wc.text("w1", "我的任务")
    await wc.deliver()
    said = wc.fake.texts_to("w1")
    assert said.count(texts.MEET_DONE.format(id=ticket_id)) == 1
    assert any(f"#{ticket_id}" in t for t in said[-1:])


async def test_token_expiry_and_frequency_limits_lose_and_double_nothing(wc: WecomEnv) -> None:
    """42001 refreshes the token and sends once more; 45009 waits; every message arrives exactly once."""
    await staff_up(wc, "w1")
    wc.fake.fail_next = [42001, 45009]
    await wc.text("w1", "我的积分")
    await wc.deliver()
    for _ in range(3):
        await wc.wait(61)
    rows = wc.app.db.run_sync(lambda s: s.scalars(select(Outbox.status).where(Outbox.chat_id == "w1")).all())
    assert set(rows) == {OutboxStatus.SENT}
    assert wc.fake.refusals == {42001: 1, 45009: 1}
    points = [t for t in wc.fake.texts_to("w1") if "积分" in t]
    assert len(points) == 1


async def test_a_member_outside_the_visible_range_fails_with_the_reason(wc: WecomEnv) -> None:
    """An invalid userid makes the row fail, with WeCom's errcode as its error, sent once."""
    await staff_up(wc, "w1")
    wc.fake.invalid_users.add("w1")
    await wc.text("w1", "我的积分")
    await wc.deliver()
    [error] = wc.app.db.run_sync(
        lambda s: s.scalars(
            select(Outbox.error).where(Outbox.chat_id == "w1", Outbox.status == OutboxStatus.FAILED)
        ).all()
    )
    assert error is not None and "81013" in error


async def test_a_tap_from_a_member_who_is_not_staff_changes_nothing(wc: WecomEnv) -> None:
    """Someone outside the staff tapping a forwarded card's key is told their id; the ticket stays open."""
    await staff_up(wc, "w1")
    ticket_id = await console(wc).report("r1")
    await wc.deliver()
    await wc.tap("stranger", Grab(ticket_id).pack(), "t")
    await wc.deliver()
    assert wc.fake.texts_to("stranger") == [texts.WECOM_NOT_STAFF.format(id="stranger")]
    assert wc.app.db.run_sync(lambda s: s.get(Ticket, ticket_id)).status == "open"


async def test_withdrawn_open_ticket_updates_its_card_in_place(wc: WecomEnv) -> None:
    """A withdrawal updates the open card with its one-time code; no second card is sent."""
    await staff_up(wc, "w1", "w2")
    h = console(wc)
    ticket_id = await h.report("r1")
    await wc.deliver()
    await h.say(f"r1: /withdraw {ticket_id}")
    await wc.deliver()
    [update] = wc.fake.updates
    assert (
        "已撤回" in update["template_card"]["main_title"]["title"] + update["template_card"]["sub_title_text"]
    )
    cards = [m for m in wc.fake.sent if m["msgtype"] == "template_card"]
    assert len(cards) == 1


async def test_report_week_arrives_as_a_file_through_media_upload(wc: WecomEnv) -> None:
    """/report_week in the app chat: the workbook is uploaded as temporary media and sent as a file."""
    await wc.text("boss", "/report_week")
    await wc.deliver()
    files = [m for m in wc.fake.sent if m["msgtype"] == "file" and m["touser"] == "boss"]
    assert wc.fake.uploads == 1 and files == [{**files[0], "file": {"media_id": "MEDIA-F1"}}]


async def test_grab_from_wecom_and_the_console_at_once_has_one_winner(wc: WecomEnv) -> None:
    """A WeCom tap and a console worker's tap together: exactly one of them gets the ticket."""
    await staff_up(wc, "w1")
    h = console(wc)
    await h.run("c1: 你好", "admin: /grant c1 worker siji-1")
    ticket_id = await h.report("r1")
    await wc.deliver()
    await asyncio.gather(wc.tap("w1", Grab(ticket_id).pack(), "t"), h.say(f"c1: 抢单 {ticket_id}"))
    await wc.deliver()
    ticket = wc.app.db.run_sync(lambda s: s.get(Ticket, ticket_id))
    handler = wc.app.db.run_sync(lambda s: s.get(Person, ticket.handler_id))
    wecom_won = texts.GRAB_WON.format(id=ticket_id) in wc.fake.texts_to("w1")
    assert (handler.channel, handler.external_id) == (("wecom", "w1") if wecom_won else ("console", "c1"))
    loser_told = [t for t in wc.fake.texts_to("w1") + h.to("c1") if t.startswith("手慢了")]
    assert len(loser_told) == 1


async def test_a_section_missing_settings_stops_the_start(wc: WecomEnv) -> None:
    """[wecom] with a token but no corp_id, agent_id or secret: `jiesu run` refuses, naming each."""
    config = dataclasses.replace(wc.app.config, wecom=WecomConfig(token="t", encoding_aes_key="short"))
    channel = WecomChannel(wc.app, config)
    with pytest.raises(StartupError) as info:
        await channel.start()
    said = "\n".join(info.value.details)
    for key in ("corp_id", "agent_id", "secret", "encoding_aes_key must be 43 characters"):
        assert key in said
    channel.client.close()


async def test_staff_file_wecom_ids_get_their_roles_and_the_cards(
    wc: WecomEnv, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A staff file row with `wecom = …` grants the role at import; that member gets the grid's cards."""
    staff = tmp_path / "staff.toml"
    staff.write_text(
        '[[people]]\nname = "赵网格"\nrole = "worker"\nscopes = ["siji-1"]\nwecom = "ZhaoWangGe"\n',
        encoding="utf-8",
    )
    assert main(["staff", "import", "--db", db_url, str(staff)]) == 0
    assert "grant worker siji-1 to 赵网格 (wecom ZhaoWangGe)" in capsys.readouterr().out
    await wc.channel.housekeep()
    ticket_id = await console(wc).report("r1")
    await wc.deliver()
    [card] = wc.fake.cards_to("ZhaoWangGe")
    assert card["button_list"][0]["key"] == Grab(ticket_id).pack()


async def test_a_grid_notice_without_buttons_reaches_every_member_as_text(wc: WecomEnv) -> None:
    """A notice to a grid's card chat (an escalation) is one text to all its members, not a card."""
    await staff_up(wc, "w1", "w2")
    notice = "【督办】工单 #9 已超时\n" + "说明" * 1200  # 7,200 bytes: in parts of at most 2,000
    wc.app.db.run_sync(lambda s: enqueue(s, Reply("wecom", "-area:siji-1", notice), wc.clock.now()))
    await wc.deliver()
    said = wc.fake.texts_to("w2")
    parts = said[said.index("【督办】工单 #9 已超时") :]
    assert len(parts) == 5 and "".join(parts) == notice.replace("\n", "")
    assert wc.fake.texts_to("w1")[-5:] == parts
    assert wc.fake.cards_to("w2") == []


async def test_oversize_and_malformed_callbacks_are_refused(wc: WecomEnv) -> None:
    """A body over 64 KiB gets 413, one that is not XML or has no <Encrypt> gets 400; nothing is stored."""
    query = {"msg_signature": "0" * 40, "timestamp": str(int(wc.clock.now().timestamp())), "nonce": "n"}
    assert (await wc.http.post("/wecom", params=query, content=b"<xml>" + b"x" * 70_000)).status_code == 413
    assert (await wc.http.post("/wecom", params=query, content=b"not xml")).status_code == 400
    assert (await wc.http.post("/wecom", params=query, content=b"<xml><A>1</A></xml>")).status_code == 400
    entity = b'<!DOCTYPE xml [<!ENTITY e "x">]><xml><Encrypt>&e;</Encrypt></xml>'
    assert (await wc.http.post("/wecom", params=query, content=entity)).status_code == 400
    assert count(wc, Outbox) == 0


async def test_admin_and_worker_commands_in_the_app_chat(wc: WecomEnv) -> None:
    """/assign, 定级, 我的任务, 我的积分, 排行 and /history answer as in a Telegram private chat."""
    await staff_up(wc, "w1")
    ticket_id = await console(wc).report("r1")
    await wc.deliver()
    await wc.text("boss", f"/assign {ticket_id} w1")
    await wc.text("w1", f"定级 {ticket_id} 复杂 需要协调物业")
    for line in ("我的任务", "我的积分", "排行"):
        await wc.text("w1", line)
    await wc.text("boss", f"/history {ticket_id}")
    await wc.deliver()
    boss, w1 = wc.fake.texts_to("boss"), wc.fake.texts_to("w1")
    assert any(t.startswith(texts.ASSIGN_DONE.format(id=ticket_id, handler="")[:8]) for t in boss)
    assert any(t.startswith(f"工单 #{ticket_id} 办理记录") for t in boss)
    assert any(t.startswith(f"工单 #{ticket_id} 已改为：复杂事项") for t in w1)
    assert any(t.startswith(texts.MINE_HEADER) for t in w1)
    assert any(t.startswith("您的积分：") for t in w1)
    assert w1[-1] == texts.RANK_EMPTY  # 排行 with nobody scored yet
    assert not any(t.startswith("没有这个命令") for t in boss + w1)


async def test_a_revoked_worker_leaves_the_card_chat(wc: WecomEnv) -> None:
    """After /revoke the area's card chat goes (within a housekeeping round); no card reaches them."""
    await staff_up(wc, "w1")
    await wc.text("boss", "/revoke w1 worker")
    await wc.deliver()
    await wc.channel.housekeep()
    bound = wc.app.db.run_sync(
        lambda s: s.scalars(select(ChatBinding.chat_id).where(ChatBinding.channel == "wecom")).all()
    )
    assert list(bound) == []
    await console(wc).report("r1")
    await wc.deliver()
    assert wc.fake.cards_to("w1") == []


async def test_a_slow_callback_is_answered_at_once_and_its_replies_still_arrive(
    wc: WecomEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the answer budget WeCom gets its 200 anyway; the work finishes and the outbox sends the reply."""
    await staff_up(wc, "w1")
    monkeypatch.setattr("bot.channels.wecom.BUDGET", 0.0)
    answer = await wc.text("w1", "我的积分")
    assert (answer.status_code, answer.text) == (200, "")
    await wc.deliver()
    assert wc.fake.texts_to("w1")[-1].startswith("您的积分：")


async def test_the_access_token_is_shared_through_the_database(wc: WecomEnv) -> None:
    """A second process's client finds the token the first fetched: one gettoken for both."""
    other = WecomClient(
        CORP_ID, SECRET, AGENT_ID, Database(wc.app.config.database_url), wc.clock, wc.fake.base_url
    )
    try:
        assert other.access_token == wc.channel.client.access_token
        assert wc.fake.token_requests == 1
    finally:
        other.close()
        other.tokens.db.close()


async def test_a_moved_ticket_updates_the_old_card_and_posts_in_the_new_grid(wc: WecomEnv) -> None:
    """/move: the old grid's card becomes a note of where it went; the new grid's workers get a card."""
    await staff_up(wc, "w1")
    await wc.text("w9", "你好")
    await wc.text("boss", "/grant w9 worker jingfa-1")
    await wc.deliver()
    await wc.channel.housekeep()
    ticket_id = await console(wc).report("r1")
    await wc.deliver()
    await wc.text("boss", f"/move {ticket_id} jingfa-1")
    await wc.deliver()
    [update] = wc.fake.updates
    assert "已转派" in update["template_card"]["main_title"]["title"]
    [card] = wc.fake.cards_to("w9")
    assert card["button_list"][0]["key"] == Grab(ticket_id).pack()
    assert len(wc.fake.cards_to("w1")) == 1


async def test_one_person_on_wecom_and_another_channel_has_one_set_of_tasks_and_points(
    wc: WecomEnv, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A staff file row with a console id and a WeCom id is one person: a grab on WeCom is their task
    in the console too, with the same points and roles; the role is held once."""
    staff = tmp_path / "staff.toml"
    staff.write_text(
        '[[people]]\nname = "赵网格"\nrole = "worker"\nscopes = ["siji-1"]\n'
        'console = "zc"\nwecom = "ZhaoC"\n',
        encoding="utf-8",
    )
    assert main(["staff", "import", "--db", db_url, str(staff)]) == 0
    out = capsys.readouterr().out
    assert "grant worker siji-1 to 赵网格 (wecom ZhaoC)" in out
    assert "link console zc to wecom ZhaoC (赵网格: one person)" in out
    assert main(["staff", "import", "--db", db_url, str(staff)]) == 0
    assert "link" not in capsys.readouterr().out  # already one person
    await wc.channel.housekeep()
    h = console(wc)
    ticket_id = await h.report("r1")
    await wc.deliver()
    await wc.tap("ZhaoC", Grab(ticket_id).pack(), "t")
    await wc.deliver()
    mine = h.to("zc", await h.say("zc: 我的任务"))
    assert mine[0].startswith(texts.MINE_HEADER) and f"#{ticket_id}" in mine[0]
    points = h.to("zc", await h.say("zc: 我的积分"))
    await wc.text("ZhaoC", "我的积分")
    await wc.deliver()
    assert points[0] == wc.fake.texts_to("ZhaoC")[-1] and not points[0].startswith("您的积分：0 分")
    held = wc.app.db.run_sync(
        lambda s: s.execute(
            select(Person.channel, RoleGrant.role)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(Person.name == "赵网格")
        ).all()
    )
    assert [tuple(r) for r in held] == [("wecom", "worker")]


async def test_retried_callbacks_the_channel_answers_itself_are_answered_once(wc: WecomEnv) -> None:
    """A voice message (unsupported) and a newcomer's text, each sent twice by WeCom, get one answer each."""
    await staff_up(wc, "w1")
    voice = wc.xml("w1", "voice", MediaId="V1", Format="amr", MsgId="901")
    stranger = wc.xml("stranger", "text", Content="你好", MsgId="902")
    for xml in (voice, voice, stranger, stranger):
        assert (await wc.post(xml)).status_code == 200
    await wc.deliver()
    assert wc.fake.texts_to("w1").count(texts.WX_UNSUPPORTED) == 1
    assert wc.fake.texts_to("stranger") == [texts.WECOM_NOT_STAFF.format(id="stranger")]
