"""A command declared once: its name, aliases, handler, arguments, who uses it, menu line, help and usage."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .normalise import PLAIN, Shape
from .turn import Command


class Who(StrEnum):
    """Whose menu a command is in (the handler itself refuses people without the role)."""

    RESIDENT = "resident"  # anyone
    WORKER = "worker"
    ADMIN = "admin"


@dataclass(frozen=True)
class Spec:
    """One command: everything the menus, /help, the parser, /cancel and the usage refusals need."""

    name: str
    handler: Command
    who: Who
    usage: str  # the usage line a wrong call is refused with (texts.USAGE)
    aliases: tuple[str, ...] = ()  # everyday words typed without a slash
    shape: Shape = PLAIN  # how the words after the name are split
    menu: str | None = None  # the line in the menu of `who` (None: not in a menu)
    staff_menu: str | None = None  # for a command everyone has: its line in the workers' menu too
    personal: bool = False  # about the sender's own things: from a group, answered in private
    help: str = ""  # what it does, its line in /help (texts.HELP_LINE); every command has one
