"""Telegram's sending limits: about 30 messages/s per bot, 20/min per group, 1/s per chat.

The sender books a slot in every window a message counts against before calling the API, in the
database, so the limits hold with any number of processes (see bot.delivery.limits).
"""

from __future__ import annotations

from ..delivery import ChannelLimits, Rate

BOT = Rate(30, 1.0, spacing=1 / 30)  # a steady stream: a burst's tail would arrive in the next second
CHAT = Rate(3, 3.0)  # a reply and its follow-ups may go out together, then 1/s
GROUP = Rate(20, 60.0)  # groups and supergroups (negative chat ids), on top of CHAT
LIMITS = ChannelLimits(bot=BOT, chat=CHAT, group=GROUP)
