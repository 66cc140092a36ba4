"""The webhook endpoint on the shared ASGI app (secret header, 200 only after the commit)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handlers import texts
from models.tables import Outbox, Person, SeenKey

from .tgfake import GROUP_ID, SECRET, WEBHOOK_URL, FakeBotApi, Tg, Updates, cast, report, setup_grid


def stored(tg: Tg) -> tuple[int, int, int]:
    """Seen update ids, people and queued messages."""

    def read(s: object) -> tuple[int, int, int]:
        return tuple(
            s.scalar(select(func.count()).select_from(t))  # type: ignore[attr-defined]
            for t in (SeenKey, Person, Outbox)
        )

    return tg.query(read)


async def test_webhook_registered_with_the_secret(tg: Tg) -> None:
    """Start-up registers the webhook URL, the secret token and the update types Jiesu reads."""
    [params] = tg.api.of("setWebhook")
    assert params["url"] == WEBHOOK_URL and params["secret_token"] == SECRET
    assert params["allowed_updates"] == ["message", "callback_query"]
    assert tg.runtime.webhook_path == "/telegram/webhook"


async def test_update_with_the_right_secret_is_handled(tg: Tg) -> None:
    """An update posted with the right secret header is answered 200 and the resident gets the menu."""
    r1 = cast(tg.u).r1
    response = await tg.post(tg.u.text(r1, "/start"))
    assert response.status_code == 200
    await tg.app.sender.flush()
    assert tg.api.texts(r1["id"])[0].startswith("您好！这里是北苑街道")


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1]])
async def test_wrong_or_missing_secret_is_refused(tg: Tg, secret: str | None) -> None:
    """Without the right X-Telegram-Bot-Api-Secret-Token the answer is 403 and nothing is processed."""
    before = stored(tg)
    r1 = cast(tg.u).r1
    response = await tg.post(tg.u.text(r1, "/start"), secret=secret)
    assert response.status_code == 403
    await tg.app.sender.flush()
    assert stored(tg) == before
    assert tg.api.sent() == []


async def test_redelivered_webhook_update_is_handled_once(tg: Tg) -> None:
    """Telegram posting the same update twice gets 200 both times; the resident is answered once."""
    r1 = cast(tg.u).r1
    update = tg.u.text(r1, "/report")
    assert (await tg.post(update)).status_code == 200
    assert (await tg.post(update)).status_code == 200
    await tg.app.sender.flush()
    assert tg.api.texts(r1["id"]) == [texts.ASK_CATEGORY]


async def test_body_that_is_not_an_update_is_400(tg: Tg) -> None:
    """A body that is not an update JSON is answered 400 and stores nothing."""
    before = stored(tg)
    response = await tg.post({"hello": "world"})
    assert response.status_code == 400
    assert stored(tg) == before


async def test_not_accepting_after_stop(tg: Tg) -> None:
    """Once stopping, updates get 503 so Telegram delivers them again later; nothing is processed."""
    r1 = cast(tg.u).r1
    await tg.runtime.stop()
    before = stored(tg)
    response = await tg.post(tg.u.text(r1, "/start"))
    assert response.status_code == 503
    assert stored(tg) == before


async def test_failed_transaction_answers_500_and_the_retry_is_handled(db_url: str) -> None:
    """When the database fails the webhook answers 500; Telegram's retry to a healthy process is handled."""
    api = FakeBotApi()
    updates = Updates(api)
    broken = await Tg.create(db_url, api=api, updates=updates)
    r1 = cast(updates).r1
    update = updates.text(r1, "/report")
    broken.app.db.close()  # the database goes away under the running process
    try:
        assert (await broken.post(update)).status_code == 500
    finally:
        await broken.runtime.stop()
        await broken.runtime.close()
    healthy = await Tg.create(db_url, api=api, updates=updates)
    try:
        assert (await healthy.post(update)).status_code == 200
        assert (await healthy.post(update)).status_code == 200
        await healthy.app.sender.flush()
        assert api.texts(r1["id"]) == [texts.ASK_CATEGORY]
    finally:
        await healthy.close()


async def test_button_tap_by_webhook_is_answered_in_the_response(tg: Tg) -> None:
    """A tap that came by webhook is answered in the HTTP response (answerCallbackQuery), alert included."""
    c = await setup_grid(tg)
    tid = await report(tg, c.r1)
    before = len(tg.api.attempts("answerCallbackQuery"))
    message, data = tg.api.button(GROUP_ID, "抢单")
    refused = tg.u.callback(c.r1, message, data)  # a resident has no worker role
    response = await tg.post(refused)
    assert response.status_code == 200
    assert response.json() == {
        "method": "answerCallbackQuery",
        "callback_query_id": refused["callback_query"]["id"],
        "text": texts.NOT_STAFF,
        "show_alert": True,
    }
    won = await tg.post(tg.u.callback(c.w1, message, data))
    assert won.json()["text"] == texts.GRAB_WON.format(id=tid)
    assert len(tg.api.attempts("answerCallbackQuery")) == before  # no request of our own
    await tg.app.sender.flush()
    assert len(tg.api.of("editMessageText")) == 1
