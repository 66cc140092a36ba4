"""What an operator does to the official account once: push its menu, check it answers, get grid QR codes.

All of it goes through wechatpy's client (ApiClient: the access token shared in the database).
"""

from __future__ import annotations

from typing import Any

import requests
from wechatpy.client.api.qrcode import WeChatQRCode
from wechatpy.exceptions import WeChatClientException

from bot.config import WechatConfig
from handlers import texts
from models.clock import Clock
from models.store.database import Database

from .wechat_api import DEFAULT_API_BASE, ApiClient
from .wechat_inbound import MENU_KEYS

# Short: an operator waits for these at the terminal (start-up waits 10 s).
PROBE_TIMEOUT = 5.0


class WechatUnreachable(Exception):
    """The account could not be reached or refused the call; str() says why."""


def menu_buttons() -> dict[str, Any]:
    """The documented custom menu (texts.WX_MENU) as WeChat's menu/create body of CLICK buttons."""

    def click(label: str, key: str) -> dict[str, str]:
        if key not in MENU_KEYS:  # a key the inbound side would not understand
            raise ValueError(f"menu key {key!r} is not one of {sorted(MENU_KEYS)}")
        return {"type": "click", "name": label, "key": key}

    buttons: list[dict[str, Any]] = []
    for label, action in texts.WX_MENU:
        if isinstance(action, str):
            buttons.append(click(label, action))
        else:
            buttons.append({"name": label, "sub_button": [click(sub, key) for sub, key in action]})
    return {"button": buttons}


def client_for(wx: WechatConfig, db: Database, clock: Clock, timeout: float = PROBE_TIMEOUT) -> ApiClient:
    """wechatpy's client for the configured account, its token shared through the database."""
    return ApiClient(wx.app_id or "", wx.app_secret or "", db, clock, wx.api_base_url, timeout=timeout)


def _call(client: ApiClient, what: str, fn: Any) -> Any:
    """One API call, with WeChat's refusal or the network's failure turned into WechatUnreachable."""
    try:
        return client.call(fn)
    except WeChatClientException as exc:
        raise WechatUnreachable(f"WeChat refused {what} (errcode {exc.errcode}: {exc.errmsg})") from None
    except requests.RequestException as exc:
        where = client.API_BASE_URL
        raise WechatUnreachable(f"cannot reach the WeChat API at {where} ({type(exc).__name__})") from None


def push_menu(client: ApiClient) -> dict[str, Any]:
    """Replace the account's custom menu with the documented one; the body that was sent."""
    body = menu_buttons()
    _call(client, "menu/create", lambda: client.menu.create(body))
    return body


def probe(client: ApiClient) -> None:
    """Get a token and make one harmless call (getcallbackip); raise WechatUnreachable when it fails."""
    _call(client, "getcallbackip", client.misc.get_wechat_ips)


def _showqrcode_url(client: ApiClient, ticket: str) -> str:
    """Where the picture of a QR ticket is: WeChat's showqrcode, or beside a configured API base."""
    official: str = WeChatQRCode.get_url(ticket)
    base: str = client.API_BASE_URL
    if base == DEFAULT_API_BASE:
        return official
    return base + "showqrcode?" + official.partition("?")[2]


def grid_qr(client: ApiClient, scene: str) -> tuple[str, bytes]:
    """The account's permanent QR code for a grid: (the URL it encodes, the picture from showqrcode).

    `qrcode/create` with QR_LIMIT_STR_SCENE and scene_str = the grid code; scanning it follows the
    account (or, for a follower, sends a SCAN event) with that scene, which runs `/start CODE`."""
    body = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
    created = _call(client, "qrcode/create", lambda: client.qrcode.create(body))
    ticket, url = str(created.get("ticket", "")), str(created.get("url", ""))
    if not ticket:
        raise WechatUnreachable(f"WeChat answered qrcode/create without a ticket: {created!r}")
    try:
        res = client._http.get(_showqrcode_url(client, ticket), timeout=client.timeout)
        res.raise_for_status()
    except requests.RequestException as exc:
        raise WechatUnreachable(f"cannot fetch the QR picture from showqrcode ({exc})") from None
    if not res.headers.get("Content-Type", "").startswith("image/"):
        raise WechatUnreachable("showqrcode did not answer with a picture (the ticket may be invalid)")
    return url, res.content
