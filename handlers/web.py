"""/web (后台): a single-use sign-in link to the web office; the progress link of a new ticket."""

from __future__ import annotations

from handlers import texts
from models import office
from models.errors import NotAllowed
from models.people import is_staff
from models.store.unit_of_work import Unit
from models.tables import Ticket

from .turn import Command, Turn


def sign_in_url(base_url: str, token: str) -> str:
    """The address of a sign-in link."""
    return f"{base_url.rstrip('/')}/office/login/{token}"


def progress_url(base_url: str, token: str) -> str:
    """The address of a ticket's public progress page."""
    return f"{base_url.rstrip('/')}/t/{token}"


def web(turn: Turn, args: list[str]) -> None:
    """/web: staff get a sign-in link in their private chat."""
    if not is_staff(turn.u.session, turn.person.id):
        raise NotAllowed(texts.WEB_STAFF_ONLY)
    if not turn.private:
        turn.reply(texts.WEB_PRIVATE_ONLY)
        return
    base = turn.u.rules.web_base_url
    if not base:
        turn.reply(texts.WEB_NOT_CONFIGURED)
        return
    token = office.new_sign_in_link(turn.u.session, turn.person, turn.u.now)
    turn.reply(texts.WEB_LINK.format(url=sign_in_url(base, token)))


def progress_line(u: Unit, ticket: Ticket) -> str:
    """The line with the progress link for the confirmation message ('' when the office is off)."""
    base = u.rules.web_base_url
    if not base:
        return ""
    return texts.TRACK_LINE.format(url=progress_url(base, office.tracking_token(u.session, ticket, u.now)))


COMMANDS: dict[str, Command] = {"web": web}
ALIASES = {"后台": "web"}
