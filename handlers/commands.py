"""Every command, gathered from the feature modules' declarations: names, aliases, menus, argument shapes."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from handlers import texts
from models.people import admin_scopes, is_staff

from . import (
    admin,
    audit,
    consult,
    enterprise,
    hotline,
    ideas,
    mediation,
    moving,
    night_visits,
    normalise,
    pausing,
    privacy,
    resident,
    rewards,
    staff,
    web,
)
from .menu import MENU
from .normalise import PLAIN, Shape
from .report import scene
from .spec import Spec, Who
from .turn import Command, Turn


def cancel(turn: Turn, args: list[str]) -> None:
    """/cancel (取消): leave whatever flow the chat is in, as that flow says."""
    leave = CANCELS.get(turn.dialog.state)
    if leave is None:
        turn.reply(texts.NOTHING_TO_CANCEL)
    else:
        leave(turn)


def help_(turn: Turn, args: list[str]) -> None:
    """/help (帮助): the commands the asker may use, each in the words of its Spec."""
    roles = [Who.RESIDENT]
    if is_staff(turn.u.session, turn.person.id):
        roles.append(Who.WORKER)
        if admin_scopes(turn.u.session, turn.person.id):
            roles.append(Who.ADMIN)
    turn.reply(help_text(roles), MENU if turn.private else ())


def help_text(roles: Iterable[Who]) -> str:
    """The help of someone with these roles: per role a heading, a line per command, its footnote."""
    sections = []
    for who in roles:
        lines = [texts.HELP_LINE.format(usage=s.usage, help=s.help) for s in SPECS if s.who == who]
        foot = texts.HELP_FOOT.get(who)
        sections.append("\n".join([texts.HELP_HEAD[who], *lines, *([foot] if foot else [])]))
    return "\n\n".join(sections)


HELP = Spec(
    "help",
    help_,
    Who.RESIDENT,
    texts.USAGE_HELP,
    ("帮助",),
    menu=texts.MENU_HELP,
    staff_menu=texts.MENU_STAFF_HELP,
    help=texts.HELP_HELP,
)
CANCEL = Spec(
    "cancel",
    cancel,
    Who.RESIDENT,
    texts.USAGE_CANCEL,
    ("取消",),
    menu=texts.MENU_CANCEL,
    help=texts.HELP_CANCEL,
)
# Each dialog state that /cancel can leave, and how (the report's steps, 办结's photo wait).
CANCELS: dict[str, Callable[[Turn], None]] = {**scene.CANCELS, **staff.CANCELS}
# Every command, in the order the menus list them.
SPECS: tuple[Spec, ...] = (
    resident.START,
    *scene.SPECS,
    resident.MY,
    resident.STATUS,
    resident.WITHDRAW,
    resident.UNFOLLOW,
    CANCEL,
    HELP,
    *staff.SPECS,
    *audit.SPECS,
    *admin.SPECS,
    *moving.SPECS,
    *web.SPECS,
    *privacy.SPECS,
    *hotline.SPECS,
    *pausing.SPECS,
    *rewards.SPECS,
    *ideas.SPECS,
    *night_visits.SPECS,
    *consult.SPECS,
    *mediation.SPECS,
    *enterprise.SPECS,
    staff.CLOSE,
)


def _unique(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A table of names; a name (or alias) claimed twice is a programming error."""
    table: dict[str, str] = {}
    for key, value in pairs:
        if key in table:
            raise RuntimeError(f"command name or alias declared twice: {key}")
        table[key] = value
    return table


_NAMES = _unique((s.name, s.name) for s in SPECS)
COMMANDS: dict[str, Command] = {s.name: s.handler for s in SPECS}
# Everyday words staff and residents type without a slash.
ALIASES: dict[str, str] = _unique((alias, s.name) for s in SPECS for alias in s.aliases)
# Commands about the sender's own tickets, points or a ticket's trail: in a group they are answered
# in the sender's private chat, with a short note in the group (handlers/turn.py).
PERSONAL = frozenset(s.name for s in SPECS if s.personal)
# Staff commands that name a ticket (抢单 3, 办结 3 …): never neighbours' small talk, even in a group.
STAFF_ON_TICKETS = frozenset(s.name for s in SPECS if s.who != Who.RESIDENT and s.shape.tickets)
# How each command's arguments are split (normalise.command).
SHAPES: dict[str, Shape] = {s.name: s.shape for s in SPECS if s.shape != PLAIN}


def _menu(who: Who) -> list[tuple[str, str]]:
    lines = [(s.name, s.menu) for s in SPECS if s.who == who and s.menu is not None]
    if who == Who.WORKER:  # the commands everyone has, as workers read them
        lines += [(s.name, s.staff_menu) for s in SPECS if s.staff_menu is not None]
    return lines


# Menu entries for channels that register them (Telegram setMyCommands).
RESIDENT_MENU = _menu(Who.RESIDENT)
WORKER_MENU = _menu(Who.WORKER)
ADMIN_MENU = _menu(Who.ADMIN)


def parse(text: str, *, aliases: bool) -> tuple[str, list[str]] | None:
    """('status', ['12']) from '/status 12', '/status@bot 12' or '查询 12'; None if not a command."""
    # One reading for every command (full-width forms, 抢单1, 办结：1，…, 十二号工单).
    found = normalise.command(text, ALIASES if aliases else {}, SHAPES)
    return (found.name, found.args) if found is not None else None
