"""Outbox delivery: lanes per chat, database leases, limits shared by processes, batched marks."""

from .limits import UNLIMITED, ChannelLimits, Rate
from .sender import Sender
from .types import MAX_ATTEMPTS, Delivery, OutgoingMessage, Transport, backoff

__all__ = [
    "MAX_ATTEMPTS",
    "UNLIMITED",
    "ChannelLimits",
    "Delivery",
    "OutgoingMessage",
    "Rate",
    "Sender",
    "Transport",
    "backoff",
]
