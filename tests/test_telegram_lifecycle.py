"""Start-up checks, command menus, long polling, and `jiesu run` stopping cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bot import cli
from bot.channels.telegram import build_application
from bot.config import TelegramConfig
from bot.runtime import StartupError
from handlers import texts
from handlers.commands import ADMIN_MENU, RESIDENT_MENU, WORKER_MENU

from . import timing
from .tgfake import ADMIN_ID, SECRET, TOKEN, FakeBotApi, Tg, Updates, cast, serve_http, telegram_config

ROOT = Path(__file__).resolve().parent.parent


def menu(commands: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(name, description) pairs of a registered menu."""
    return [(c["command"], c["description"]) for c in commands]


async def test_command_menus_for_residents_workers_and_admins(db_url: str) -> None:
    """setMyCommands registers the resident menu in private chats, workers' in groups, and admins' too."""
    api = FakeBotApi()
    updates = Updates(api)
    cast(updates)  # the admin has opened a private chat with the bot
    tg = await Tg.create(db_url, api=api, updates=updates)
    try:
        assert menu(api.commands["all_private_chats"]) == RESIDENT_MENU
        assert menu(api.commands["all_group_chats"]) == WORKER_MENU
        assert menu(api.commands["all_chat_administrators"]) == WORKER_MENU + ADMIN_MENU
        admin = menu(api.commands[f"chat:{ADMIN_ID}"])
        assert {name for name, _ in admin} == {name for name, _ in RESIDENT_MENU + WORKER_MENU + ADMIN_MENU}
    finally:
        await tg.close()


async def test_bad_token_is_a_clear_startup_error(db_url: str) -> None:
    """A token Telegram rejects stops start-up with a message naming the setting, without the secret."""
    api = FakeBotApi(token="7000000001:the-real-one-from-botfather")
    tg = await Tg.create(db_url, api=api, start=False)
    try:
        with pytest.raises(StartupError) as caught:
            await tg.runtime.start()
        message = str(caught.value) + "\n".join(caught.value.details)
        assert "Telegram rejected the bot token 7000000001:AAF… (Unauthorized)" in message
        assert "[telegram] token or JIESU_TELEGRAM_TOKEN" in message
        assert TOKEN.split(":")[1] not in message
        assert [c.method for c in api.calls] == ["getMe"]
    finally:
        tg.app.close()


async def test_unreachable_api_is_a_clear_startup_error(db_url: str) -> None:
    """When the Bot API does not answer, start-up says it cannot reach it and where it looked."""
    api = FakeBotApi()
    api.fail_network("getMe")
    tg = await Tg.create(db_url, api=api, start=False)
    try:
        with pytest.raises(
            StartupError, match=r"cannot reach the Telegram Bot API at https://api.telegram.org"
        ):
            await tg.runtime.start()
    finally:
        tg.app.close()


@pytest.mark.parametrize(
    ("webhook_url", "secret", "expected"),
    [
        ("https://bot.example.org/tg", None, "webhook_url needs secret_token"),
        ("https://bot.example.org/tg", "has spaces in it", "webhook_url needs secret_token"),
        ("http://bot.example.org/tg", SECRET, "must start with https://"),
        ("bot.example.org/tg", SECRET, "is not a URL"),
    ],
)
async def test_webhook_settings_are_checked_at_start(
    db_url: str, webhook_url: str, secret: str | None, expected: str
) -> None:
    """A webhook without a usable secret, or not on HTTPS, is refused before anything is registered."""
    config = telegram_config(db_url)
    config.telegram = TelegramConfig(token=TOKEN, webhook_url=webhook_url, secret_token=secret)
    api = FakeBotApi()
    tg = await Tg.create(db_url, api=api, config=config, start=False)
    try:
        with pytest.raises(StartupError, match=expected):
            await tg.runtime.start()
        assert api.calls == []
    finally:
        tg.app.close()


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll until condition() holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


async def test_long_polling_handles_updates_and_confirms_them_after(db_url: str) -> None:
    """Without webhook_url the bot polls; each update is confirmed to Telegram only after it was handled."""
    api = FakeBotApi()
    updates = Updates(api)
    api.webhook = {"url": "https://old.example.org/hook"}  # left over from an earlier webhook set-up
    r1 = cast(updates).r1
    tg = await Tg.create(db_url, api=api, updates=updates, config=telegram_config(db_url, webhook=False))
    try:
        assert api.webhook is None  # deleteWebhook, else getUpdates would be refused (409)
        first, second = updates.text(r1, "/start"), updates.text(r1, "/report")
        api.push(first)
        api.push(second)
        await wait_for(lambda: api.acknowledged > second["update_id"])
        await tg.app.sender.flush()
        assert api.texts(r1["id"])[-1] == texts.ASK_CATEGORY
        assert tg.runtime.offset == second["update_id"] + 1
    finally:
        started = time.monotonic()
        await tg.close()  # the 30-second long poll in flight is abandoned, not waited for
        assert time.monotonic() - started < 2
    assert api.attempts("getUpdates")[-1].params["offset"] == second["update_id"] + 1


async def test_polling_does_not_confirm_an_update_whose_transaction_failed(db_url: str) -> None:
    """If handling fails the update stays unconfirmed at Telegram and the next process fetches it again."""
    api = FakeBotApi()
    updates = Updates(api)
    r1 = cast(updates).r1
    config = telegram_config(db_url, webhook=False)
    broken = await Tg.create(db_url, api=api, updates=updates, config=config, start=False)
    broken.app.db.close()
    await broken.runtime.start()
    update = updates.text(r1, "/report")
    api.push(update)
    await wait_for(lambda: len(api.attempts("getUpdates")) >= 2)
    await broken.runtime.stop()
    await broken.runtime.close()
    assert api.acknowledged <= update["update_id"]
    healthy = await Tg.create(db_url, api=api, updates=updates, config=config)
    try:
        await wait_for(lambda: api.acknowledged > update["update_id"])
        await healthy.app.sender.flush()
        assert api.texts(r1["id"]) == [texts.ASK_CATEGORY]
    finally:
        await healthy.close()


def test_run_without_a_channel_says_what_to_set(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`jiesu run` with neither Telegram nor WeChat configured explains what to set and exits 78."""
    os.environ.pop("JIESU_TELEGRAM_TOKEN", None)
    os.environ.pop("JIESU_WECHAT_TOKEN", None)
    config = tmp_path / "jiesu.toml"
    config.write_text('[subdistrict]\nname = "北苑街道"\n', encoding="utf-8")
    assert cli.main(["run", "--config", str(config)]) == 78
    err = capsys.readouterr().err
    assert "[telegram] token (or JIESU_TELEGRAM_TOKEN)" in err and "jiesu console" in err


# ---------------------------------------------------------------------- `jiesu run` in a subprocess


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(
    tmp_path: Path, base_url: str, *, token: str = TOKEN, webhook_port: int | None = None
) -> Path:
    """A config file for `jiesu run` against the fake Bot API."""
    # The demo subdistrict, asked for in so many words: `jiesu run` on a chat channel seeds it only then.
    lines = ["[subdistrict]", "demo = true", "[telegram]", f'token = "{token}"', f'base_url = "{base_url}"']
    lines += [f"admins = [{ADMIN_ID}]"]
    if webhook_port is not None:
        lines += [
            f'webhook_url = "http://127.0.0.1:{webhook_port}/telegram/webhook"',
            f'secret_token = "{SECRET}"',
        ]
        lines += ["[http]", f'listen = "127.0.0.1:{webhook_port}"']
    else:  # long polling: the health listener on a port of its own
        lines += ["[http]", 'listen = "127.0.0.1:0"']
    path = tmp_path / "jiesu.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_jiesu(config: Path, db_url: str) -> subprocess.Popen[str]:
    """`jiesu run --config FILE --db URL` as an operator would start it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIESU_")}
    env["JIESU_START_RETRY_SECONDS"] = "0"  # a taken port fails at once (75), not after a minute
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config), "--db", db_url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def wait_running(process: subprocess.Popen[str], condition: Callable[[], bool]) -> None:
    """Wait until the process did something observable, failing early if it died."""
    deadline = time.monotonic() + timing.bound(30)
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"jiesu run exited {process.returncode}: {process.stderr.read()}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("jiesu run did not get there in 30 s")
        await asyncio.sleep(0.05)


def finish(process: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    """Send a signal and collect the exit code and standard error."""
    process.send_signal(sig)
    try:
        _, err = process.communicate(timeout=timing.bound(30))
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, err


async def test_jiesu_run_polls_and_stops_cleanly_on_ctrl_c(db_url: str, tmp_path: Path) -> None:
    """`jiesu run` answers over long polling; Ctrl-C stops it with exit 0 and no update lost."""
    api = FakeBotApi()
    updates = Updates(api)
    r1 = cast(updates).r1
    with serve_http(api) as base_url:
        process = start_jiesu(write_config(tmp_path, base_url), db_url)
        try:
            api.push(updates.text(r1, "/start"))
            await wait_running(process, lambda: len(api.texts(r1["id"])) == 1)
            late = [updates.text(r1, "/report"), updates.text(r1, "/cancel")]
            for u in late:
                api.push(u)
            code, err = finish(process, signal.SIGINT)
        finally:
            if process.poll() is None:
                process.kill()
    assert code == 0, err
    assert "stopping…" in err and "stopped" in err
    # Every update is either answered or still unconfirmed at Telegram (it will be fetched again).
    answered = len(api.texts(r1["id"])) - 1
    unconfirmed = [u for u in late if u["update_id"] >= api.acknowledged]
    assert answered + len(unconfirmed) == len(late), (api.texts(r1["id"]), api.acknowledged)


async def test_jiesu_run_serves_the_webhook_and_stops_on_sigterm(db_url: str, tmp_path: Path) -> None:
    """With webhook_url set, `jiesu run` serves the endpoint over HTTP and SIGTERM stops everything."""
    api = FakeBotApi()
    updates = Updates(api)
    r1 = cast(updates).r1
    port = free_port()
    with serve_http(api) as base_url:
        process = start_jiesu(write_config(tmp_path, base_url, webhook_port=port), db_url)
        try:
            await wait_running(process, lambda: bool(api.of("setWebhook")))
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            async with httpx.AsyncClient() as client:
                for _ in range(100):  # the HTTP server comes up just after setWebhook
                    try:
                        forged = await client.post(url, json=updates.text(r1, "/start"))
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.05)
                assert forged.status_code == 403
                ok = await client.post(
                    url, json=updates.text(r1, "/start"), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                )
                assert ok.status_code == 200
            await wait_running(process, lambda: len(api.texts(r1["id"])) == 1)
            code, err = finish(process, signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
    assert code == 0, err
    assert "stopped" in err
    assert api.of("setWebhook")[0]["secret_token"] == SECRET


async def test_jiesu_run_with_a_bad_token_exits_78(db_url: str, tmp_path: Path) -> None:
    """`jiesu run` with a token Telegram rejects prints what is wrong and exits 78: no restart helps."""
    api = FakeBotApi()
    with serve_http(api) as base_url:
        process = start_jiesu(write_config(tmp_path, base_url, token="123:revoked-token"), db_url)
        _, err = process.communicate(timeout=timing.bound(60))
    assert process.returncode == 78
    assert "cannot start: Telegram rejected the bot token 123:rev… (Unauthorized)" in err
    assert "JIESU_TELEGRAM_TOKEN" in err


async def test_jiesu_run_with_the_port_taken_exits_75_before_registering(db_url: str, tmp_path: Path) -> None:
    """When [http] listen is taken, `jiesu run` says so and exits 75 (try later) without registering."""
    api = FakeBotApi()
    with socket.socket() as taken, serve_http(api) as base_url:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_jiesu(write_config(tmp_path, base_url, webhook_port=port), db_url)
        _, err = process.communicate(timeout=timing.bound(60))
    assert process.returncode == 75
    assert f"cannot start: cannot listen on 127.0.0.1:{port}" in err
    assert api.of("setWebhook") == []


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot"]
)
def test_base_url_points_the_bot_at_a_local_bot_api_server(base_url: str) -> None:
    """[telegram] base_url, with or without the /bot suffix, is where every Bot API call and file goes."""
    application = build_application(TelegramConfig(token=TOKEN, base_url=base_url))
    assert application.bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"
    assert application.bot.base_file_url == f"http://127.0.0.1:8081/file/bot{TOKEN}"
