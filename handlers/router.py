"""The inbound pipeline: dedupe, load the person and dialog, dispatch, refuse cleanly."""

from __future__ import annotations

from dataclasses import replace

from handlers import texts
from models.dialogs import OpenDialog, open_dialog, save_dialog, set_state
from models.errors import DomainError
from models.messages import ChatKind, HandleResult, Inbound, Reply, find_button
from models.outbox import latest_buttons
from models.people import get_or_create_person, is_staff
from models.prelude import first_reads
from models.unit import Unit

from . import duplicates, forgiving, intake, pending, resident, staff, wizard
from .commands import COMMANDS, parse
from .textclean import clean, parse_id
from .turn import Turn


class Refused(Exception):
    """A step was refused (DomainError) in handle(isolated=False): roll back, then call refuse()."""

    def __init__(self, text: str, msg: Inbound) -> None:
        super().__init__(text)
        self.text = text
        self.msg = msg  # as dispatch saw it (a typed label may have become a button press)


def handle(u: Unit, msg: Inbound, *, isolated: bool = True) -> HandleResult:
    """Apply one inbound message inside the caller's transaction; never half-apply.

    isolated=True refuses a DomainError inside a savepoint, so the caller's transaction goes on.
    isolated=False saves the savepoint (two statements per message) and raises Refused instead:
    the caller rolls the whole transaction back and runs refuse() in a new one (App.handle).
    """
    start = _begin(u, msg)
    if isinstance(start, HandleResult):
        return start
    turn, opened = start
    if not isolated:
        try:
            dispatch(turn)
        except DomainError as exc:
            raise Refused(str(exc), turn.msg) from exc
        return _finish(turn, opened)
    mark = len(u.sent)
    savepoint = u.session.begin_nested()
    try:
        dispatch(turn)
        savepoint.commit()
    except DomainError as exc:
        savepoint.rollback()
        opened.reset()
        del u.sent[mark:]
        turn.refuse(str(exc))
    return _finish(turn, opened)


def refuse(u: Unit, refusal: Refused) -> HandleResult:
    """The transaction after a Refused one: record the message as seen and say no, nothing else."""
    start = _begin(u, refusal.msg)
    if isinstance(start, HandleResult):
        return start
    turn, opened = start
    turn.refuse(refusal.text)
    return _finish(turn, opened)


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
    msg = replace(msg, text=clean(msg.text), user_name=clean(msg.user_name) if msg.user_name else None)
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


def dispatch(turn: Turn) -> None:
    """Send the message to the flow it belongs to."""
    msg = turn.msg
    if msg.payload is None and msg.text and len(msg.text) <= 20 and not msg.text.startswith("/"):
        # A typed label counts as a tap on the latest button with that label.
        button = find_button(latest_buttons(turn.u.session, msg.channel, msg.chat_id), msg.text)
        if button is not None and _bare_equal(button.label, msg.text):
            turn.msg = msg = _with_payload(msg, button.payload)
    if msg.payload is not None:
        on_button(turn, msg.payload)
        return
    command = parse(msg.text, aliases=not wizard.in_wizard(turn) or msg.text.strip() == "取消")
    # In a group, everyday words like 统计 or 取消 are chat between neighbours unless staff say them.
    if (
        command is not None
        and not turn.private
        and not _is_slash(msg.text)
        and not is_staff(turn.u.session, turn.person.id)
    ):
        command = None
    if command is not None:
        run_command(turn, *command)
        return
    if turn.dialog.state == staff.AWAIT_RESULT_PHOTO and staff.result_photo(turn):
        return
    if wizard.in_wizard(turn):
        wizard.step(turn)
    elif turn.private:
        if msg.other_file is not None:
            turn.reply(texts.PHOTO_ONLY)
            resident.greet(turn, [])
        # Issue 12 hook: an owed 双是 answer first, then what the text means; the menu last.
        elif not pending.answer(turn):
            intake.read(turn)


def _bare_equal(label: str, text: str) -> bool:
    """Typed text counts as a tap only when it is the whole label (emoji aside), not a part."""
    return label.strip() == text.strip() or label.strip().endswith(" " + text.strip())


def _with_payload(msg: Inbound, payload: str) -> Inbound:
    return replace(msg, payload=payload, text="")


def _is_slash(text: str) -> bool:
    return text.lstrip().startswith(("/", "／"))


def run_command(turn: Turn, name: str, args: list[str]) -> None:
    """Run a slash command (or its Chinese alias)."""
    if name == "cancel":
        if wizard.in_wizard(turn):
            wizard.cancel(turn)
        elif turn.dialog.state == staff.AWAIT_RESULT_PHOTO:
            set_state(turn.dialog, "idle", turn.u.now, {})
            turn.reply(texts.RESULT_PHOTO_CANCELLED)
        else:
            turn.reply(texts.NOTHING_TO_CANCEL)
        return
    if name in ("report", "start") and not args and turn.private and wizard.in_wizard(turn):
        forgiving.ask_resume(turn)  # issue 12 hook: never throw a draft away silently
        return
    func = COMMANDS.get(name)
    if func is None:
        if turn.private:
            turn.reply(texts.UNKNOWN_COMMAND.format(command="/" + name[:30]))
        return
    func(turn, args)


def on_button(turn: Turn, payload: str) -> None:
    """Handle a button press; the payload is checked, never trusted."""
    head, _, rest = payload.partition(":")
    if head == "menu":
        action = {"report": resident.report, "my": resident.my_tickets, "help": resident.help_}.get(rest)
        if action is None:
            turn.refuse(texts.BUTTON_EXPIRED)
        else:
            action(turn, [])
    elif head == "wz":
        # Issue 12 hooks: suggested categories; continue-or-restart after /report mid-report.
        if wizard.in_wizard(turn) and (intake.on_suggestion(turn) or forgiving.on_resume(turn)):
            return
        if wizard.in_wizard(turn):
            wizard.step(turn)
        else:
            turn.refuse(texts.BUTTON_EXPIRED)
    elif head == "grab" and (ticket_id := parse_id(rest)) is not None:
        staff.grab_by_id(turn, ticket_id)
    elif head in ("ff1", "ff2"):  # issue 12 hook: a follower's own 双是 (handlers/duplicates.py)
        ticket_token, _, answer = rest.partition(":")
        ticket_id = parse_id(ticket_token)
        if ticket_id is None or answer not in ("y", "n"):
            turn.refuse(texts.BUTTON_EXPIRED)
            return
        duplicates.follower_answer(turn, 1 if head == "ff1" else 2, ticket_id, answer == "y")
    elif head in ("fu1", "fu2"):
        ticket_token, _, answer = rest.partition(":")
        ticket_id = parse_id(ticket_token)
        if ticket_id is None or answer not in ("y", "n"):
            turn.refuse(texts.BUTTON_EXPIRED)
            return
        resident.followup(turn, 1 if head == "fu1" else 2, ticket_id, answer == "y")
    else:
        turn.refuse(texts.BUTTON_EXPIRED)
