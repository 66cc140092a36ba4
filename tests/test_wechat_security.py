"""Every push is checked before anything happens: signature, freshness, replay, size, XML safety, AES."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.wechat import setup
from bot.config import WechatConfig, load
from bot.runtime import StartupError
from handlers.commands import help_text
from handlers.spec import Who
from models.base import Base
from models.clock import FakeClock
from models.tables import KeyValue

from .wxfake import ACCOUNT, APP_ID, APP_SECRET, TOKEN, FakeWeChatAPI, WxEnv, openid, sign

R1 = openid("r1")


@pytest.fixture
async def wx(db_url: str) -> AsyncIterator[WxEnv]:
    """The app with the WeChat channel in plain mode."""
    env = await WxEnv.create(db_url)
    try:
        yield env
    finally:
        await env.close()


@pytest.fixture
async def safe(db_url: str) -> AsyncIterator[WxEnv]:
    """The app with the WeChat channel in AES safe mode."""
    env = await WxEnv.create(db_url, mode="safe")
    try:
        yield env
    finally:
        await env.close()


def snapshot(wx: WxEnv) -> dict[str, int]:
    """Row counts of every table except the shared token cache."""

    def count(session: object) -> dict[str, int]:
        out = {}
        for table in Base.metadata.sorted_tables:
            query = select(func.count()).select_from(table)
            if table.name == KeyValue.__tablename__:
                query = query.where(KeyValue.key != "wechat:access_token")
            out[table.name] = int(session.scalar(query))  # type: ignore[attr-defined]
        return out

    return dict(wx.app.db.run_sync(count))


def hello(wx: WxEnv, content: str = "你好", msg_id: str = "1") -> str:
    """A plain text push of R1."""
    return wx.xml(R1, "text", Content=content, MsgId=msg_id)


async def test_server_verification_echoes_only_when_signed(wx: WxEnv) -> None:
    """GET /wechat echoes echostr for a right signature (the console's URL check) and is 403 otherwise."""
    ts = str(int(wx.clock.now().timestamp()))
    good = {"signature": sign(TOKEN, ts, "n1"), "timestamp": ts, "nonce": "n1", "echostr": "e-123"}
    response = await wx.http.get("/wechat", params=good)
    assert (response.status_code, response.text) == (200, "e-123")
    bad = good | {"signature": sign("other-token", ts, "n1")}
    assert (await wx.http.get("/wechat", params=bad)).status_code == 403


async def test_forged_signature_is_refused_and_changes_nothing(wx: WxEnv) -> None:
    """A push signed with the wrong token (or not at all) gets 403 and no person, reply or key is stored."""
    before = snapshot(wx)
    ts = int(wx.clock.now().timestamp())
    forged = await wx.push(hello(wx), signature=sign("guess", str(ts), "n1"), nonce="n1", timestamp=ts)
    unsigned = await wx.http.post("/wechat", params={"timestamp": str(ts), "nonce": "n2"}, content=hello(wx))
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert snapshot(wx) == before


async def test_replayed_nonce_is_refused(wx: WxEnv) -> None:
    """The same signed push sent twice: the second gets 403 and produces no second reply."""
    first = await wx.push(hello(wx, "/start", "5"), nonce="same-nonce")
    assert wx.reply(first).startswith("您好！")
    before = snapshot(wx)
    again = await wx.push(hello(wx, "/start", "5"), nonce="same-nonce")
    other_message = await wx.push(hello(wx, "/help", "6"), nonce="same-nonce")
    assert (again.status_code, other_message.status_code) == (403, 403)
    assert snapshot(wx) == before


async def test_old_nonces_are_forgotten_and_their_replays_still_refused(wx: WxEnv) -> None:
    """Housekeeping drops nonces older than the timestamp window; replaying one is refused as stale."""
    ts = int(wx.clock.now().timestamp())
    assert (await wx.push(hello(wx), nonce="n-old", timestamp=ts)).status_code == 200
    wx.clock.advance(timedelta(minutes=11))
    assert await wx.channel.housekeep() == 1
    before = snapshot(wx)
    assert (await wx.push(hello(wx), nonce="n-old", timestamp=ts)).status_code == 403
    assert snapshot(wx) == before


@pytest.mark.parametrize("skew", [-301, 301])
async def test_stale_or_future_timestamp_is_refused(wx: WxEnv, skew: int) -> None:
    """A push whose timestamp is more than five minutes off gets 403 and changes nothing."""
    before = snapshot(wx)
    response = await wx.push(hello(wx), timestamp=int(wx.clock.now().timestamp()) + skew)
    assert response.status_code == 403
    assert snapshot(wx) == before


def _message(body: str) -> str:
    return (
        f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{R1}</FromUserName>"
        f"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>{body}</Content><MsgId>9</MsgId></xml>"
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE xml [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10)
    )
    + "]>\n"
    + _message("&lol9;")
)


@pytest.fixture
def secret_file(tmp_path: Path) -> Iterator[Path]:
    """A local file an XXE would try to read."""
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-42")
    yield path


async def test_entity_bomb_is_refused_with_400(wx: WxEnv) -> None:
    """A correctly signed billion-laughs push gets 400 before any entity is expanded; nothing is stored."""
    before = snapshot(wx)
    response = await wx.push("", body=BILLION_LAUGHS.encode())
    assert response.status_code == 400
    assert snapshot(wx) == before


async def test_any_dtd_is_refused_even_a_harmless_one(wx: WxEnv) -> None:
    """A push declaring even one small internal entity gets 400: no DTD is ever interpreted."""
    before = snapshot(wx)
    polite = '<!DOCTYPE xml [<!ENTITY hi "你好">]>' + _message("&hi;")
    assert (await wx.push("", body=polite.encode())).status_code == 400
    assert snapshot(wx) == before


async def test_external_entity_is_refused_with_400(wx: WxEnv, secret_file: Path) -> None:
    """A signed push with an external entity (XXE) gets 400; the file is never read into a reply."""
    before = snapshot(wx)
    xxe = f'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file://{secret_file}">]>' + _message("&xxe;")
    response = await wx.push("", body=xxe.encode())
    assert response.status_code == 400
    assert "TOP-SECRET" not in response.text
    assert snapshot(wx) == before


async def test_oversize_body_is_refused_before_parsing(wx: WxEnv) -> None:
    """A push over 64 KiB gets 413, whether it declares its length or streams it; nothing is stored."""
    before = snapshot(wx)
    huge = hello(wx, "长" * 30_000)
    assert len(huge.encode()) > 64 * 1024
    declared = await wx.push(huge)

    async def stream() -> AsyncIterator[bytes]:
        data = huge.encode()
        for i in range(0, len(data), 8192):
            yield data[i : i + 8192]

    ts = str(int(wx.clock.now().timestamp()))
    params = {"timestamp": ts, "nonce": "n9", "signature": sign(TOKEN, ts, "n9")}
    streamed = await wx.http.post("/wechat", params=params, content=stream())
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert snapshot(wx) == before


async def test_not_a_wechat_message_is_refused(wx: WxEnv) -> None:
    """Signed but malformed pushes (not XML, wrong root, no sender) get 400 and change nothing."""
    before = snapshot(wx)
    for body in (b"hello", b"<html></html>", b"<xml><MsgType>text</MsgType></xml>"):
        assert (await wx.push("", body=body)).status_code == 400
    assert snapshot(wx) == before


async def test_safe_mode_decrypts_pushes_and_encrypts_replies(safe: WxEnv) -> None:
    """In AES safe mode the push is decrypted and the passive reply comes back encrypted and signed."""
    response = await safe.push(safe.xml(R1, "text", Content="你好", MsgId="1"))
    assert "<Encrypt>" in response.text and "您好" not in response.text
    assert safe.reply(response).startswith("您好！这里是北苑街道")


async def test_compatible_mode_is_answered_encrypted(db_url: str) -> None:
    """In compatible mode (plaintext plus <Encrypt>) the push is handled and the reply encrypted."""
    env = await WxEnv.create(db_url, mode="compat")
    try:
        response = await env.push(env.xml(R1, "event", Event="CLICK", EventKey="help"))
        assert env.reply(response).startswith(help_text([Who.RESIDENT]))
    finally:
        await env.close()


async def test_safe_mode_refuses_a_bad_msg_signature_and_a_bomb_inside(safe: WxEnv) -> None:
    """A wrong msg_signature gets 403; an entity bomb hidden in the encrypted payload gets 400."""
    before = snapshot(safe)
    ts = str(int(safe.clock.now().timestamp()))
    envelope = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt>AAAA</Encrypt></xml>"
    params = {
        "timestamp": ts,
        "nonce": "n1",
        "signature": sign(TOKEN, ts, "n1"),
        "encrypt_type": "aes",
        "msg_signature": sign(TOKEN, ts, "n1", "something else"),
    }
    assert (await safe.http.post("/wechat", params=params, content=envelope)).status_code == 403
    assert (await safe.push(BILLION_LAUGHS)).status_code == 400
    assert snapshot(safe) == before


async def test_encrypted_push_without_a_key_is_refused(db_url: str) -> None:
    """An encrypted push to a server with no encoding_aes_key gets 400 and changes nothing."""
    env = await WxEnv.create(db_url, mode="safe", aes_key=None)
    try:
        before = snapshot(env)
        assert (await env.push(env.xml(R1, "text", Content="你好", MsgId="1"))).status_code == 400
        assert snapshot(env) == before
    finally:
        await env.close()


async def _start_with(db_url: str, **changes: object) -> str:
    """Start the channel with a changed [wechat] section; return the startup error."""
    fake = FakeWeChatAPI()
    config = load(None, env={})
    config.database_url = db_url
    config.wechat = WechatConfig(
        token=TOKEN, app_id=APP_ID, app_secret=APP_SECRET, api_base_url=fake.base_url
    )
    for key, value in changes.items():
        setattr(config.wechat, key, value)
    app = App(config, clock=FakeClock())
    await app.start()
    channel = setup(app, config)
    try:
        with pytest.raises(StartupError) as caught:
            await channel.start()
        return str(caught.value) + " | " + " ".join(caught.value.details)
    finally:
        await channel.stop()
        app.close()
        fake.close()


async def test_unusable_config_stops_startup_with_a_reason(db_url: str) -> None:
    """A bad AES key, app_id, secret, budget or template field each stop `jiesu run` with what to fix."""
    assert "encoding_aes_key must be 43 characters" in await _start_with(db_url, encoding_aes_key="short")
    assert "app_id is missing" in await _start_with(db_url, app_id=None)
    assert "errcode 40125" in await _start_with(db_url, app_secret="wrong")
    assert "between 0 and 4.5 seconds" in await _start_with(db_url, passive_budget=6)
    assert "template_fields may only set" in await _start_with(db_url, template_fields={"x": "y"})
