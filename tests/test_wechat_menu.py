"""`jiesu wechat menu` pushes the documented custom menu through wechatpy's menu API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.wechat_admin import menu_buttons
from bot.channels.wechat_inbound import MENU_KEYS
from bot.cli import main

from .wxfake import APP_ID, APP_SECRET, FakeWeChatAPI


@pytest.fixture
def fake() -> Iterator[FakeWeChatAPI]:
    """The fake WeChat API on 127.0.0.1."""
    api = FakeWeChatAPI()
    try:
        yield api
    finally:
        api.close()


def config_file(tmp_path: Path, fake: FakeWeChatAPI, secret: str = APP_SECRET) -> str:
    """A [wechat] section pointing at the fake."""
    path = tmp_path / "jiesu.toml"
    path.write_text(
        f'[wechat]\ntoken = "t"\napp_id = "{APP_ID}"\napp_secret = "{secret}"\n'
        f'api_base_url = "{fake.base_url}"\n',
        encoding="utf-8",
    )
    return str(path)


def test_the_documented_menu_is_pushed(
    db_url: str, tmp_path: Path, fake: FakeWeChatAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    """反映问题 and 我的工单 on top, the rest under 更多: the account gets exactly that menu/create body."""
    assert main(["wechat", "menu", "--config", config_file(tmp_path, fake), "--db", db_url]) == 0
    assert fake.menus == [menu_buttons()]
    top = fake.menus[0]["button"]
    assert [b["name"] for b in top] == ["反映问题", "我的工单", "更多"]
    assert [(b["name"], b["key"]) for b in top[2]["sub_button"]] == [
        ("使用帮助", "help"),
        ("主菜单", "menu"),
        ("我的任务", "mine"),
        ("我的积分", "points"),
        ("排行榜", "rank"),
    ]
    out = capsys.readouterr().out
    assert (
        f"pushed the menu to the official account {APP_ID}: 反映问题 (report) | 我的工单 (my) | 更多:" in out
    )


def test_every_menu_key_is_one_the_channel_answers() -> None:
    """Each CLICK key of the menu is a key the WeChat channel turns into a command."""
    keys = [b["key"] for b in menu_buttons()["button"] if "key" in b]
    keys += [s["key"] for b in menu_buttons()["button"] for s in b.get("sub_button", [])]
    assert set(keys) <= set(MENU_KEYS) and {"report", "my", "help", "menu", "mine", "points", "rank"} <= set(
        keys
    )


def test_a_refused_secret_changes_nothing(
    db_url: str, tmp_path: Path, fake: FakeWeChatAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    """WeChat refusing the credentials: exit 1 with the errcode, and no menu was sent."""
    assert main(["wechat", "menu", "--config", config_file(tmp_path, fake, "wrong"), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "WeChat refused" in err and "errcode 40125" in err and "the menu was not changed" in err
    assert fake.menus == []


def test_dry_run_and_a_missing_account(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--dry-run prints the body without any network; without [wechat] the push says what to set."""
    assert main(["wechat", "menu", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out) == menu_buttons()
    assert main(["wechat", "menu", "--db", f"sqlite:///{tmp_path}/x.db"]) == 78
    assert "set [wechat] app_id and app_secret" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()
