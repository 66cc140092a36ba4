"""A worker's own words about his tickets: "12号单我接了" grabs, "12号搞定了" resolves, "12号 明天去" notes.

Staff write like people, not like commands. The trained reader, told to expect a worker
(Expect.WORKER), reads grab, progress or resolve; only a sure reading of a ticket the worker holds
is acted on at once, anything less is confirmed with the ticket named (buttons, numbered on
WeChat). A worker's message about a ticket is never read as a resident's report. In a group only
a grab is done; for resolving and progress the worker is told, in private, to write them there.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from handlers import texts
from models.dialogs import update_data
from models.messages import Button
from models.people import is_staff
from models.tables import Status, Ticket

from . import pending, reader, staff
from .payloads import Keep, WorkerAction, WorkerDo
from .reader import Expect, Intent, Reading
from .render import category_name
from .turn import Turn

# A worker intent this probable, of a ticket he holds, is acted on without asking.
ACT_SURE = reader.ANSWER_SURE
# A message whose best reading is not a worker's is still his when a worker intent has this much.
WORKER_FLOOR = 0.3
PICK_LIMIT = 5
ACTION_OF = {
    Intent.GRAB: WorkerAction.GRAB,
    Intent.RESOLVE: WorkerAction.RESOLVE,
    Intent.PROGRESS: WorkerAction.NOTE,
}
# The ticket reference at the start of a message ("12号", "#12", "工单12："), dropped from the note.
_LEADING_REF = re.compile(
    r"^\s*(?:#|工单|单号|编号|no\.?)?\s*\d{1,7}\s*(?:号单|号|单)?[\s,，。.:：、]*", re.IGNORECASE
)


def read(turn: Turn) -> bool:
    """Act on a message that is a worker's word about a ticket; False when it is not one."""
    text = turn.msg.text
    if not text:
        return False
    staffed = is_staff(turn.u.session, turn.person.id)
    if turn.private and not staffed:
        return False
    r = reader.read(text, Expect.WORKER)
    intent = _worker_intent(r)
    if intent is None and turn.private and _done_in_words(turn, text):
        intent = Intent.RESOLVE  # "都弄好了" from a worker with tickets in hand, owing no answer himself
    if intent is None:
        return False
    if not turn.private:
        return _in_group(turn, r, intent, staffed)
    _act(turn, intent, r)
    return True


def _done_in_words(turn: Turn, text: str) -> bool:
    """Tell whether a worker's "all fixed" (read as a resident's yes) can only be about his own tickets."""
    plain = reader.read(text)
    return plain.intent is Intent.YES and plain.sure and bool(_held(turn)) and pending.owed(turn) is None


def _worker_intent(r: Reading) -> Intent | None:
    """The worker intent of a reading: its best, or a likely one when the message names a ticket."""
    if r.intent in ACTION_OF:
        return r.intent
    if r.ticket is None:
        return None
    likely = [(i, p) for i, p in r.alternatives if i in ACTION_OF and p >= WORKER_FLOOR]
    return likely[0][0] if likely else None


def _in_group(turn: Turn, r: Reading, intent: Intent, staffed: bool) -> bool:
    """In a group: a sure grab of a numbered ticket grabs (or is refused clearly); the rest goes private."""
    if not r.sure or r.intent is not intent:
        return False  # chatter between neighbours is not a bot's business
    if intent is Intent.GRAB:
        if r.ticket is not None:
            staff.grab_by_id(turn, r.ticket)  # refuses someone without the role, in words
        elif staffed:
            turn.reply(texts.WORKER_GRAB_NUMBER)
        else:
            return False
        return True
    if not staffed or r.ticket is None:
        return False
    turn.answer_privately = True  # the words a resident reads are written in private, not in the group
    turn.reply(texts.WORKER_IN_GROUP.format(id=r.ticket))
    return True


def _act(turn: Turn, intent: Intent, r: Reading) -> None:
    """In private: act on a sure reading of his own ticket, else confirm with the ticket named."""
    action, note = ACTION_OF[intent], _note(r.text)
    if action is WorkerAction.GRAB:
        if r.ticket is None:
            turn.reply(texts.WORKER_GRAB_NUMBER)
        elif r.intent is intent and r.confidence >= ACT_SURE:
            staff.grab_by_id(turn, r.ticket)
        else:
            _confirm(turn, action, r.ticket, note)
        return
    held = _held(turn)
    if r.ticket is not None and r.intent is intent and r.confidence >= ACT_SURE and r.ticket in held:
        _do(turn, action, r.ticket, note)
    else:
        _confirm_or_pick(turn, action, r.ticket, note, held)


def _note(text: str) -> str:
    """The worker's words without the ticket reference they start with (the whole text if nothing is left)."""
    rest = _LEADING_REF.sub("", text, count=1).strip()
    return rest or text.strip()


def _held(turn: Turn) -> list[int]:
    """The tickets the worker is handling now, newest first."""
    return list(
        turn.u.session.scalars(
            select(Ticket.id)
            .where(Ticket.handler_id == turn.person.id, Ticket.status == Status.CLAIMED)
            .order_by(Ticket.id.desc())
        )
    )


def _confirm_or_pick(
    turn: Turn, action: WorkerAction, ticket_id: int | None, note: str, held: list[int] | None = None
) -> None:
    """Confirm the ticket named; without one, the only ticket he holds, or a pick among them."""
    if ticket_id is not None:
        _confirm(turn, action, ticket_id, note)
        return
    held = _held(turn) if held is None else held
    if not held:
        turn.reply(texts.WORKER_NONE)
    elif len(held) == 1:
        _confirm(turn, action, held[0], note)
    else:
        update_data(turn.dialog, turn.u.now, worker_note=note)
        session = turn.u.session
        buttons = []
        for tid in held[:PICK_LIMIT]:
            t = session.get(Ticket, tid)
            category = category_name(session, t.category_code) if t is not None else ""
            buttons.append(
                Button(texts.BTN_WORKER_PICK.format(id=tid, category=category), WorkerDo(action, tid).pack())
            )
        turn.reply(
            texts.WORKER_WHICH.format(count=len(held)), (*buttons, Button(texts.BTN_KEEP, Keep().pack()))
        )


def _confirm(turn: Turn, action: WorkerAction, ticket_id: int, note: str) -> None:
    """要把工单 #N 办结吗？ with the note; the words wait in the dialog for the tap."""
    ticket = turn.u.session.get(Ticket, ticket_id)
    if ticket is None:
        turn.reply(texts.NOT_FOUND.format(id=ticket_id))
        return
    update_data(turn.dialog, turn.u.now, worker_note=note)
    category = category_name(turn.u.session, ticket.category_code)
    if action is WorkerAction.RESOLVE:
        text, label = texts.WORKER_RESOLVE_ASK, texts.BTN_WORKER_RESOLVE
    elif action is WorkerAction.NOTE:
        text, label = texts.WORKER_NOTE_ASK, texts.BTN_WORKER_NOTE
    else:
        text, label = texts.WORKER_GRAB_ASK, texts.BTN_WORKER_GRAB
    turn.reply(
        text.format(id=ticket_id, category=category, note=note),
        (
            Button(label.format(id=ticket_id), WorkerDo(action, ticket_id).pack()),
            Button(texts.BTN_KEEP, Keep().pack()),
        ),
    )


def on_press(turn: Turn, press: WorkerDo) -> None:
    """确认办结 #N / 记为进展 #N / 抢 #N: do it with the words kept for it (the domain checks the rest)."""
    note = str((turn.dialog.data or {}).get("worker_note") or "")
    if press.action is not WorkerAction.GRAB and not note:
        turn.refuse(texts.BUTTON_EXPIRED)
        return
    update_data(turn.dialog, turn.u.now, worker_note=None)
    _do(turn, press.action, press.ticket_id, note)


def _do(turn: Turn, action: WorkerAction, ticket_id: int, note: str) -> None:
    if action is WorkerAction.GRAB:
        staff.grab_by_id(turn, ticket_id)
    elif action is WorkerAction.RESOLVE:
        staff.resolve(turn, [str(ticket_id), note])
    else:
        staff.note(turn, [str(ticket_id), note])
