"""The words after a command: a ticket number first, then what the command needs."""

from __future__ import annotations

from handlers import texts
from models.errors import BadInput

from .textclean import parse_id


def ticket_arg(args: list[str], usage: str, min_args: int = 1) -> int:
    """The ticket number that starts the arguments; refuse with the usage line when it is missing."""
    ticket_id = parse_id(args[0]) if args else None
    if ticket_id is None or len(args) < min_args:
        raise BadInput(texts.USAGE.format(usage=usage))
    return ticket_id
