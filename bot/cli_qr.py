"""`jiesu qr GRID…`: a printable 码上说 poster per grid, with its Telegram deep link and WeChat QR code."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import Config
from handlers import texts
from models.clock import SystemClock
from models.store.existing import open_existing
from models.tables import AreaLevel
from models.territory import AreaTree

from . import posters
from .channels.telegram_probe import TelegramUnreachable, bot_username
from .channels.wechat_admin import WechatUnreachable, client_for, grid_qr

ConfigOf = Callable[[argparse.Namespace], Config]


def make(config: Config, codes: list[str], every: bool, folder: Path, pdf: bool, bot: str | None) -> int:
    """Write the posters; 0, or 1 with the reason on stderr (nothing written)."""
    db, _ = open_existing(config.database_url)
    if db is None:
        print("no territory imported: run jiesu territory import TERRITORY.toml first", file=sys.stderr)
        return 1
    try:
        tree = db.run_sync(AreaTree.load)
        places = [a for a in tree.by_id.values() if not a.retired and a.level == AreaLevel.GRID]
        if every:
            chosen = sorted(places, key=lambda a: a.id)
        else:
            chosen = []
            for code in codes:
                area = tree.by_code(code)
                if area is None or area.level not in (AreaLevel.GRID, AreaLevel.COMMUNITY):
                    known = ", ".join(a.code for a in sorted(places, key=lambda a: a.id)[:12])
                    print(
                        f"{code!r} is no grid or community of the territory; use one of: {known} "
                        "(or --all for every grid); nothing was written",
                        file=sys.stderr,
                    )
                    return 1
                chosen.append(area)
        if not chosen:
            print("name the grids to print (jiesu qr siji-1 siji-2), or --all", file=sys.stderr)
            return 1
        wx = config.wechat
        if bot is None and config.telegram.token:
            bot = asyncio.run(bot_username(config.telegram))
        if bot is None and not (wx.app_id and wx.app_secret):
            print(
                "no channel to put on the posters: set [telegram] token (or give --telegram-bot NAME) "
                "or [wechat] app_id and app_secret",
                file=sys.stderr,
            )
            return 1
        client = client_for(wx, db, SystemClock()) if wx.app_id and wx.app_secret else None
        made = []
        try:
            for area in chosen:
                community = tree.community_of(area.id) if area.level == AreaLevel.GRID else area
                place = texts.POSTER_PLACE.format(
                    subdistrict=tree.top().name,
                    community=community.name if community is not None else "",
                    grid=area.name if area.level == AreaLevel.GRID else "",
                ).strip()
                picture = grid_qr(client, area.code)[1] if client is not None else None
                link = posters.telegram_link(bot, area.code) if bot else None
                made.append(posters.Poster(area.code, place, link, picture))
        finally:
            if client is not None:
                client.close()
    except (TelegramUnreachable, WechatUnreachable) as exc:
        print(f"{exc}; nothing was written", file=sys.stderr)
        return 1
    finally:
        db.close()
    fonts = posters.cjk_fonts()
    for path in posters.write(made, folder, pdf, fonts):
        print(f"wrote {path}")
    print(f"font: {Path(fonts.regular.path).name} ({fonts.regular.source})")
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    config_of: ConfigOf,
) -> None:
    """Add `jiesu qr [GRID…] [--all] [--out DIR] [--pdf] [--telegram-bot NAME]`."""
    parser = sub.add_parser("qr", parents=[common], help="print a 码上说 QR poster per grid (PNG, and PDF)")
    parser.add_argument("grids", nargs="*", metavar="GRID", help="grid (or community) codes")
    parser.add_argument("--all", action="store_true", help="every grid of the territory")
    parser.add_argument("--out", default="out/qr", help="folder for the posters (default: out/qr)")
    parser.add_argument("--pdf", action="store_true", help="also write qr-posters.pdf, one page per grid")
    parser.add_argument(
        "--telegram-bot", metavar="NAME", help="the bot's @username (default: asked from Telegram with getMe)"
    )

    def run(args: argparse.Namespace) -> int:
        return make(config_of(args), args.grids, args.all, Path(args.out), args.pdf, args.telegram_bot)

    parser.set_defaults(func=run)
