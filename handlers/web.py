"""/web (后台): a single-use sign-in link to the web office; /report_week; a new ticket's progress link."""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers import texts
from models import office
from models.errors import BadInput, NotAllowed, Refusal
from models.messages import Reply
from models.outbox import after_commit
from models.people import grants_of
from models.store.unit_of_work import Unit
from models.tables import Ticket
from models.volunteers import office_grants

from .reports import weekly
from .spec import Spec, Who
from .turn import Turn

log = logging.getLogger(__name__)

# The office page the weekly workbook is downloaded from (bot/office serves it to admins).
WEEKLY_PATH = "/office/report/week.xlsx"
# Chats the bot cannot send a file to: a WeChat official account's customer-service messages
# carry text, images, voice and video, never a document.
NO_FILE_CHANNELS = frozenset({"wechat"})


def sign_in_url(base_url: str, token: str) -> str:
    """The address of a sign-in link."""
    return f"{base_url.rstrip('/')}/office/login/{token}"


def progress_url(base_url: str, token: str) -> str:
    """The address of a ticket's public progress page."""
    return f"{base_url.rstrip('/')}/t/{token}"


def web(turn: Turn, args: list[str]) -> None:
    """/web: staff get a sign-in link in their private chat."""
    if not office_grants(grants_of(turn.u.session, turn.person.id)):  # volunteers have no office
        raise NotAllowed(Refusal.WEB_STAFF_ONLY)
    if not turn.private:
        turn.reply(texts.WEB_PRIVATE_ONLY)
        return
    base = turn.u.rules.web_base_url
    if not base:
        turn.reply(texts.WEB_NOT_CONFIGURED)
        return
    if office.locked_out(turn.u.session, turn.person.id, turn.u.now):
        turn.reply(texts.WEB_LOCKED.format(minutes=int(office.WINDOW.total_seconds() // 60)))
        return
    if office.links_exhausted(turn.u.session, turn.person.id, turn.u.now):
        turn.reply(texts.WEB_TOO_MANY_LINKS.format(minutes=int(office.WINDOW.total_seconds() // 60)))
        return
    token = office.new_sign_in_link(turn.u.session, turn.person, turn.u.now)
    turn.reply(texts.WEB_LINK.format(url=sign_in_url(base, token)))


def progress_line(u: Unit, ticket: Ticket) -> str:
    """The line with the progress link for the confirmation message ('' when the office is off)."""
    base = u.rules.web_base_url
    if not base:
        return ""
    return texts.TRACK_LINE.format(url=progress_url(base, office.tracking_token(u.session, ticket, u.now)))


def report_week(turn: Turn, args: list[str]) -> None:
    """/report_week (周报): an admin gets the weekly workbook as a file; on WeChat a single-use link to it."""
    u = turn.u
    scope = weekly.admin_scope(u, turn.person.id)
    if not scope.admin_areas:
        raise NotAllowed(Refusal.NOT_ADMIN)
    if args:
        raise BadInput(Refusal.USAGE, usage=REPORT_WEEK.usage)
    if turn.msg.channel in NO_FILE_CHANNELS:
        base = u.rules.web_base_url
        if not base:
            turn.reply(texts.REPORT_WEEK_NO_WEB)
            return
        token = office.new_sign_in_link(u.session, turn.person, u.now, next_path=WEEKLY_PATH)
        turn.reply(texts.REPORT_WEEK_LINK.format(url=sign_in_url(base, token)))
        return
    body = weekly.workbook(u, scope.everywhere, scope.admin_areas, scope.communities)
    local = u.now.astimezone(ZoneInfo(u.rules.sla.timezone))
    caption = texts.REPORT_WEEK_CAPTION.format(
        subdistrict=u.rules.subdistrict_name, now=f"{local:%Y-%m-%d %H:%M}"
    )
    # One folder per request, so the file keeps its readable name (周报-20261123.xlsx) without clashes.
    path = (
        Path(u.rules.chart_dir) / "reports" / f"{turn.person.id}-{u.now:%Y%m%d%H%M%S%f}" / weekly.file_name(u)
    )
    channel, chat_id = turn.msg.channel, turn.msg.chat_id

    def write() -> Reply:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        except OSError:
            log.exception("cannot write the weekly workbook to %s", path)
            return Reply(channel, chat_id, texts.REPORT_WEEK_FAILED)
        return Reply(channel, chat_id, caption, document=str(path.resolve()))

    after_commit(u.session, write)


WEB = Spec("web", web, Who.WORKER, texts.USAGE_WEB, ("后台",), help=texts.HELP_WEB)
REPORT_WEEK = Spec(
    "report_week",
    report_week,
    Who.ADMIN,
    texts.USAGE_REPORT_WEEK,
    ("周报",),
    menu=texts.MENU_REPORT_WEEK,
    help=texts.HELP_REPORT_WEEK,
)
SPECS = (WEB, REPORT_WEEK)
