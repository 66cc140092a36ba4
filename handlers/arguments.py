"""The words after a command: a ticket number first, then what the command needs."""

from __future__ import annotations

from models.errors import BadInput, Refusal

from .normalise import ticket_number


def ticket_arg(args: list[str], usage: str, min_args: int = 1) -> int:
    """The ticket number that starts the arguments; refuse with the usage line when it is missing."""
    ticket_id = ticket_number(args[0]) if args else None
    if ticket_id is None or len(args) < min_args:
        raise BadInput(Refusal.USAGE, usage=usage)
    return ticket_id
