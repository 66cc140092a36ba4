"""The inbound pipeline: dedupe, load the person and dialog, dispatch, refuse cleanly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from handlers import texts
from models.dialogs import OpenDialog, open_dialog, save_dialog
from models.errors import DomainError
from models.messages import ChatKind, HandleResult, Inbound, Reply
from models.people import get_or_create_person, is_staff
from models.store.inbound import first_reads
from models.store.unit_of_work import Unit

from . import admin, pending, reading, resident, staff, staff_binding, worker_words
from .answers import as_press
from .commands import COMMANDS, PERSONAL, STAFF_ON_TICKETS, parse
from .payloads import (
    FollowerSatisfied,
    FollowerSolved,
    Followup,
    FollowupSatisfied,
    FollowupSolved,
    Grab,
    Keep,
    Meant,
    Menu,
    Payload,
    PayloadError,
    PhoneSatisfied,
    PhoneSolved,
    WithdrawPick,
    WizardCategory,
    WizardCommunity,
    WizardDuplicate,
    WizardGrid,
    WizardNav,
    WizardPress,
    WizardSource,
    WorkerDo,
    unpack,
)
from .refusals import refusal_text
from .report import followers, scene
from .report.draft import in_report
from .states import Step
from .textclean import clean
from .turn import Turn


class Refused(Exception):
    """A step was refused (DomainError): the caller rolls the transaction back, then calls refuse()."""

    def __init__(self, text: str, msg: Inbound) -> None:
        super().__init__(text)
        self.text = text
        self.msg = msg  # as dispatch saw it (a typed label may have become a button press)


class Handle(Protocol):
    """handle(), or refuse() bound to a refusal: what a transaction does with one message."""

    def __call__(self, u: Unit, msg: Inbound, *, numbered: bool = False) -> HandleResult: ...


def handle(u: Unit, msg: Inbound, *, numbered: bool = False) -> HandleResult:
    """Apply one inbound message inside the caller's transaction, or raise Refused.

    A refused message must change nothing but be recorded as seen and answered: the caller
    rolls back and runs the same transaction again with refuse(), which does only that (App.run).
    numbered: the channel shows options as numbered lines, so a bare number picks one.
    """
    start = _begin(u, msg)
    if isinstance(start, HandleResult):
        return start
    turn, opened = start
    try:
        dispatch(turn, numbered=numbered)
    except DomainError as exc:
        staff = is_staff(turn.u.session, turn.person.id)
        raise Refused(refusal_text(exc, staff=staff), turn.msg) from exc
    return _finish(turn, opened)


def answer_only(u: Unit, msg: Inbound, text: str) -> HandleResult:
    """Answer a message a channel could not use (a location not on Earth): seen once, nothing stored."""
    reads = first_reads(
        u.session, msg.channel, msg.message_id, u.now, user_id=msg.user_id, chat_id=msg.chat_id
    )
    if not reads.fresh:
        return HandleResult(duplicate=True)
    u.send(Reply(msg.channel, msg.chat_id, text))
    return HandleResult(outbox_ids=[r.id for r in u.sent])


def refuse(refusal: Refused) -> Handle:
    """The handle() of the transaction after a Refused one: record the message as seen and say no."""

    def run(u: Unit, msg: Inbound, *, numbered: bool = False) -> HandleResult:
        start = _begin(u, refusal.msg)
        if isinstance(start, HandleResult):
            return start
        turn, opened = start
        turn.answer_privately = _personal(turn)
        turn.refuse(refusal.text)
        return _finish(turn, opened)

    return run


def _finish(turn: Turn, opened: OpenDialog) -> HandleResult:
    """Write the dialog back and say which outbox rows the message queued."""
    save_dialog(turn.u.session, opened)
    turn.result.outbox_ids = [r.id for r in turn.u.sent]
    return turn.result


def _begin(u: Unit, msg: Inbound) -> tuple[Turn, OpenDialog] | HandleResult:
    """Dedupe, length check, person and dialog: a Turn to dispatch, or the result when there is none."""
    reads = first_reads(
        u.session, msg.channel, msg.message_id, u.now, user_id=msg.user_id, chat_id=msg.chat_id
    )
    if not reads.fresh:
        return HandleResult(duplicate=True)
    limit = u.rules.limits.text_max
    if len(msg.text) > limit:
        u.send(Reply(msg.channel, msg.chat_id, texts.TOO_LONG.format(limit=limit)))
        return HandleResult(outbox_ids=[r.id for r in u.sent])
    # Every flow below sees text without control, bidi-override or zero-width characters.
    text, name = clean(msg.text), clean(msg.user_name) if msg.user_name else None
    if text != msg.text or name != msg.user_name:
        msg = replace(msg, text=text, user_name=name)
    person = get_or_create_person(
        u.session,
        msg.channel,
        msg.user_id,
        u.now,
        name=msg.user_name,
        handle=msg.user_handle,
        chat_id=msg.chat_id if msg.chat_kind == ChatKind.PRIVATE else None,
        row=reads.person,
    )
    opened = open_dialog(u.session, msg.channel, msg.chat_id, msg.user_id, u.now, reads.dialog)
    return Turn(u, msg, person, opened.dialog), opened


def dispatch(turn: Turn, *, numbered: bool = False) -> None:
    """Send the message to the flow it belongs to."""
    staff_binding.bind_by_contact(turn)  # a listed worker sharing their phone: roles first
    # A typed label (or, where options are numbered, a number) counts as a tap on that button.
    turn.msg = msg = as_press(turn.u.session, turn.msg, numbers=numbered)
    if msg.payload is not None:
        on_button(turn, msg.payload)
        return
    command = parse(msg.text, aliases=not in_report(turn) or msg.text.strip() == "取消")
    # In a group, everyday words like 统计 or 取消 are chat between neighbours unless staff say them.
    if (
        command is not None
        and not turn.private
        and not _is_slash(msg.text)
        and command[0] != "my"  # 我的工单 is nobody's small talk: answered in private
        # 抢单 3 from someone without the role (a revoked worker) is answered, not ignored.
        and not (command[0] in STAFF_ON_TICKETS and command[1])
        and not is_staff(turn.u.session, turn.person.id)
    ):
        command = None
    if command is not None:
        run_command(turn, *command)
        return
    if turn.dialog.state == Step.AWAIT_RESULT_PHOTO and staff.result_photo(turn):
        return
    if in_report(turn):
        scene.step(turn)
    elif turn.private:
        if msg.other_file is not None:
            turn.reply(texts.PHOTO_ONLY)
            resident.greet(turn, [])
        # A worker's word about a ticket, an owed 双是 answer, then what the text means; the menu last.
        elif not worker_words.read(turn) and not pending.answer(turn) and not reading.read(turn):
            resident.read(turn)
    else:
        worker_words.read(turn)  # 12号单我接了 in the grid's group


def _personal(turn: Turn) -> bool:
    """Tell whether the message is a personal command sent in a group."""
    if turn.private or turn.msg.payload is not None:
        return False
    command = parse(turn.msg.text, aliases=True)
    return command is not None and command[0] in PERSONAL


def _is_slash(text: str) -> bool:
    return text.lstrip().startswith(("/", "／"))


def run_command(turn: Turn, name: str, args: list[str]) -> None:
    """Run a slash command (or its Chinese alias)."""
    if name in ("report", "start") and not args and turn.private and in_report(turn):
        scene.ask_resume(turn)  # never throw a draft away silently
        return
    turn.answer_privately = not turn.private and name in PERSONAL
    func = COMMANDS.get(name)
    if func is None:
        if turn.private:
            turn.reply(texts.UNKNOWN_COMMAND.format(command="/" + name[:30]))
        return
    func(turn, args)


def on_button(turn: Turn, payload: str) -> None:
    """Handle a button press; the payload is checked, never trusted."""
    try:
        press = turn.button = unpack(payload)
    except PayloadError:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    BUTTONS[type(press)](turn, press)


def _report(turn: Turn, press: WizardPress) -> None:
    scene.on_press(turn)


def _resident(turn: Turn, press: Followup) -> None:
    resident.followup(turn, press.stage, press.ticket_id, press.yes)


def _follower(turn: Turn, press: Followup) -> None:  # a follower's own 双是 (report/followers.py)
    followers.follower_answer(turn, press.stage, press.ticket_id, press.yes)


def _phone(turn: Turn, press: Followup) -> None:
    admin.phone_followup(turn, press.stage, press.ticket_id, press.yes)


# What a tap on each kind of button does (the payload already checked and typed).
BUTTONS: dict[type[Payload], Callable[[Turn, Any], None]] = {
    Menu: lambda turn, press: COMMANDS[press.action](turn, []),  # each menu entry runs its command
    WizardNav: _report,
    WizardSource: _report,
    WizardCategory: _report,
    WizardCommunity: _report,
    WizardGrid: _report,
    WizardDuplicate: _report,
    Grab: lambda turn, press: staff.grab_by_id(turn, press.ticket_id),
    FollowupSolved: _resident,
    FollowupSatisfied: _resident,
    FollowerSolved: _follower,
    FollowerSatisfied: _follower,
    PhoneSolved: _phone,
    PhoneSatisfied: _phone,
    Meant: reading.on_meant,
    WithdrawPick: reading.on_withdraw,
    Keep: reading.on_keep,
    WorkerDo: worker_words.on_press,
}
