"""Compatibility name: delivery lives in bot.delivery now."""

from .delivery import MAX_ATTEMPTS, Delivery, OutgoingMessage, Transport, backoff
from .delivery import Sender as OutboxSender

__all__ = ["MAX_ATTEMPTS", "Delivery", "OutboxSender", "OutgoingMessage", "Transport", "backoff"]
