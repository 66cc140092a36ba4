"""getMe with a short timeout, for the operator's commands: is the bot reachable, and what is its name."""

from __future__ import annotations

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import TelegramConfig

from .telegram import _api_urls, _mask

# Short: an operator waits for it at the terminal.
PROBE_TIMEOUT = 5.0


class TelegramUnreachable(Exception):
    """getMe failed; str() says why, in the operator's terms."""


async def bot_username(
    tg: TelegramConfig, timeout: float = PROBE_TIMEOUT, request: BaseRequest | None = None
) -> str:
    """The bot's @username, from getMe through PTB; raise TelegramUnreachable when it fails."""
    token = (tg.token or "").strip()
    urls = _api_urls(tg.base_url)
    request = request or HTTPXRequest(
        connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout
    )
    if urls is None:
        bot = Bot(token, request=request, get_updates_request=request)
    else:
        bot = Bot(
            token, base_url=urls[0], base_file_url=urls[1], request=request, get_updates_request=request
        )
    where = tg.base_url or "https://api.telegram.org"
    try:
        await bot.initialize()
        return str(bot.username)
    except InvalidToken:
        raise TelegramUnreachable(f"Telegram rejected the bot token {_mask(token)} (Unauthorized)") from None
    except NetworkError as exc:  # TimedOut is one
        raise TelegramUnreachable(f"cannot reach the Telegram Bot API at {where} ({exc})") from None
    except TelegramError as exc:
        raise TelegramUnreachable(f"Telegram refused getMe at {where}: {exc}") from None
    finally:
        await bot.shutdown()
