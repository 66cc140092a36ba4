"""企业微信's sending limits, booked in the sender's shared windows (every process together).

An app may send each member at most 30 messages a minute (more are dropped silently, not
refused) and, in practice, about 1000 an hour; the corp may call one API 10,000 times a minute
(errcode 45009 past that). A private chat is one member; a grid's card "chat" (`-area:…`) is one
message/send to all the grid's members, so it counts against a member budget of its own: the
two together stay under 30 a minute for any member. Per app the calls are spread to 50 a second.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..delivery import ChannelLimits, Rate

APP = Rate(100, 2.0, spacing=0.02)  # 3,000 a minute, well under the corp's 10,000 per API
MEMBER = Rate(20, 60.0)  # private messages to one member a minute
MEMBER_HOUR = Rate(600, 3600.0)
CARDS = Rate(10, 60.0)  # card messages to one grid (each of its members) a minute
CARDS_HOUR = Rate(300, 3600.0)


@dataclass(frozen=True)
class WecomLimits(ChannelLimits):
    """Per app, per member (minute and hour), and per grid's card chat (minute and hour)."""

    def scopes(self, channel: str, chat_id: str, group: bool) -> list[tuple[str, Rate]]:
        """The scopes a message to chat_id counts against."""
        out = [(f"{channel}:bot", APP)]
        if group:
            return [*out, (f"{channel}:chat:{chat_id}", CARDS), (f"{channel}:hour:{chat_id}", CARDS_HOUR)]
        return [*out, (f"{channel}:chat:{chat_id}", MEMBER), (f"{channel}:hour:{chat_id}", MEMBER_HOUR)]


LIMITS = WecomLimits(bot=APP, chat=MEMBER)
