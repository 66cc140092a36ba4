"""WeChat's sending limits for customer-service and template messages, in the sender's shared lanes.

An official account may call message/custom/send 500,000 times a day (errcode 45009 past that,
45011 for too many calls in a short time). Booked in the same database windows as Telegram's, so
every process together keeps under it: on average 4 rows a second (345,600 a day, leaving room
for a long text sent in parts) with bursts of up to 40. Per user, WeChat allows a few
customer-service messages after each message the user sends (45047 past that): that is a budget
per conversation, not a window, and the transport answers it with a template message. Per user
the lanes keep Telegram's pace (three at once, then one a second), so a burst of notices stays
readable.
"""

from __future__ import annotations

from ..delivery import ChannelLimits, Rate

BOT = Rate(40, 10.0, spacing=0.1)  # the daily quota of message/custom/send, spread over the day
CHAT = Rate(3, 3.0)  # one user: a reply and its follow-ups together, then 1/s
LIMITS = ChannelLimits(bot=BOT, chat=CHAT)
