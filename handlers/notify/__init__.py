"""Who hears about a ticket, and in which words: events become outbox rows in the same transaction."""

from .deliver import (
    card_text,
    grab_button,
    post_card,
    refresh_card,
    to_group,
    to_handler,
    to_person,
    to_resident,
)
from .events import announce, send_details, unit_of_work

__all__ = [
    "announce",
    "card_text",
    "grab_button",
    "post_card",
    "refresh_card",
    "send_details",
    "to_group",
    "to_handler",
    "to_person",
    "to_resident",
    "unit_of_work",
]
