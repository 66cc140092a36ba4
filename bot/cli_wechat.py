"""`jiesu wechat menu`: push the documented custom menu to the official account (wechatpy's menu API)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from bot.config import Config
from models.clock import SystemClock
from models.migrations import upgrade
from models.store.database import Database

from .channels.wechat_admin import WechatUnreachable, client_for, menu_buttons, push_menu

ConfigOf = Callable[[argparse.Namespace], Config]


def _labels(body: dict[str, object]) -> str:
    """The menu in one line: 反映问题 (report) | 更多: 使用帮助 (help), …"""
    parts = []
    for button in body["button"]:  # type: ignore[attr-defined]
        if "sub_button" in button:
            subs = ", ".join(f"{b['name']} ({b['key']})" for b in button["sub_button"])
            parts.append(f"{button['name']}: {subs}")
        else:
            parts.append(f"{button['name']} ({button['key']})")
    return " | ".join(parts)


def menu(config: Config, dry_run: bool) -> int:
    """Push (or, dry, print) the menu; 0, 1 when WeChat refuses, 2 without a [wechat] account."""
    wx = config.wechat
    body = menu_buttons()
    if dry_run:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    if not (wx.app_id and wx.app_secret):
        print(
            "no WeChat account: set [wechat] app_id and app_secret (see config.example.toml)", file=sys.stderr
        )
        return 78  # bot.exitcodes.Exit.CONFIG
    db = Database(config.database_url)  # the access token is shared through the database
    try:
        upgrade(db.engine)
        client = client_for(wx, db, SystemClock())
        try:
            push_menu(client)
        except WechatUnreachable as exc:
            print(f"{exc}; the menu was not changed", file=sys.stderr)
            return 1
        finally:
            client.close()
    finally:
        db.close()
    print(f"pushed the menu to the official account {wx.app_id}: {_labels(body)}")
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    config_of: ConfigOf,
) -> None:
    """Add `jiesu wechat menu [--dry-run]`."""
    parser = sub.add_parser("wechat", help="the WeChat official account")
    actions = parser.add_subparsers(dest="wechat_action", required=True)
    push = actions.add_parser(
        "menu", parents=[common], help="push the custom menu (反映问题, 我的工单, 更多)"
    )
    push.add_argument("--dry-run", action="store_true", help="print the menu as WeChat gets it, push nothing")
    push.set_defaults(func=lambda args: menu(config_of(args), bool(args.dry_run)))
