"""Free text read by the trained reader: the unsure question, status and withdrawal in words, answers.

The trained reader (handlers/reader/) says what a message means and how sure it is. Below its
threshold nothing is done on a guess: one short question with buttons (numbered on WeChat) asks
what was meant. A withdrawal in words is confirmed with the ticket named, a 双是 "no" carries its
reason to the handler, and a message in simple English is answered in Chinese plus one English
line from the catalogue. What the reader is sure of and the phrase reader handles already
(reports in Chinese, thanks, greetings, chatter) is left to it (handlers/resident.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, update

from handlers import texts
from models import tickets
from models.dialogs import update_data
from models.messages import Button
from models.refdata import catalogue
from models.tables import Outbox, Status, Ticket

from . import reader, resident, understand
from .menu import MENU
from .payloads import Keep, Meant, MeantAction, WithdrawPick
from .reader import Expect, Intent, Reading
from .render import category_name
from .report import scene
from .report.draft import office_keywords
from .turn import Turn

# What an unsure message may have meant, as the question offers it.
ASKABLE = frozenset({Intent.PROBLEM, Intent.REPORT, Intent.STATUS, Intent.WITHDRAW})
# Unsure readings that are only talk: asked about only when the choices above are likely too.
CHAT = frozenset({Intent.OTHER, Intent.GREETING, Intent.THANKS})
# An unsure message whose likeliest readings give those this much, together, is asked about too.
SECOND_FLOOR = 0.3
# A problem read only by the model whose likeliest category is below this says too little to start on.
VAGUE = 0.4
# Tickets offered when a resident withdraws in words without naming one.
PICK_LIMIT = 5
# The description shown in a confirmation, in characters.
SHOWN = 20
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# Latin words every Chinese writer uses: a message of only these is not English.
_LOANWORDS = frozenset({"ok", "okay", "ok了", "hi"})
# The question's buttons: tapped, typed as a label, or picked by number on WeChat.
MEANT_BUTTONS = (
    Button(texts.BTN_MEANT_PROBLEM, Meant(MeantAction.PROBLEM).pack()),
    Button(texts.BTN_MEANT_STATUS, Meant(MeantAction.STATUS).pack()),
    Button(texts.BTN_MEANT_WITHDRAW, Meant(MeantAction.WITHDRAW).pack()),
    Button(texts.BTN_MEANT_NONE, Meant(MeantAction.NONE).pack()),
)
WITHDRAWABLE = (Status.OPEN, Status.CLAIMED)


def english(text: str) -> bool:
    """Tell whether a message is written in English: Latin letters and no Chinese."""
    if _CJK.search(text) or len(_LATIN.findall(text)) < 2:
        return False
    return " ".join(text.lower().split()).strip(" .!?~") not in _LOANWORDS


def with_english(turn: Turn, start: int, key: str) -> None:
    """Add the English line to the first reply to the sender since `start`, if he wrote English."""
    if not english(turn.msg.text or ""):
        return
    for row in turn.u.sent[start:]:
        if row.channel == turn.msg.channel and row.chat_id == turn.msg.chat_id:
            row.text = f"{row.text}\n{texts.ENGLISH[key]}"
            turn.u.session.execute(update(Outbox).where(Outbox.id == row.id).values(text=row.text))
            return


def read(turn: Turn) -> bool:
    """Act on free text in private when the trained reader is needed; False leaves it to the phrase reader."""
    text = turn.msg.text
    if not text:
        return False
    start = len(turn.u.sent)
    reading = reader.read(text, codes=_codes(turn))
    key = _act(turn, reading)
    if key is None:
        return False
    with_english(turn, start, key)
    return True


def _act(turn: Turn, r: Reading) -> str | None:
    """Do what the reading says and name the English line for it; None: not ours to answer."""
    if r.intent is Intent.CONSULT:
        return None  # consultations have their own flow
    if not r.sure:
        if not _askable(r):
            return "nothing" if english(r.text) and _nothing(turn, r.text) else None
        ask(turn, r.text)
        return "ask"
    if r.intent is Intent.STATUS:
        status_in_words(turn, r.ticket)
        return "status"
    if r.intent is Intent.WITHDRAW:
        withdraw_in_words(turn, r.ticket)
        return "withdraw"
    if r.intent is Intent.PROBLEM and (english(r.text) or not _phrase_problem(turn, r.text)):
        # English reports are few in the corpus, so their categories read vaguer: a sure English
        # problem starts the report, and the resident picks the category from the offered ones.
        if not english(r.text) and (not r.categories or r.categories[0][1] < VAGUE):
            ask(turn, r.text)  # "门口那个": a problem, perhaps, but of nothing we could name
            return "ask"
        describe(turn, r.text)
        return "problem"
    if r.intent in (Intent.NO, Intent.UNSATISFIED) and not _phrase_problem(turn, r.text):
        ask(turn, r.text)  # "还是没人管" with no question pending: a new problem, or an old one
        return "ask"
    if not english(r.text):
        return None  # the phrase reader answers Chinese reports, thanks, greetings and chatter as before
    if r.intent is Intent.REPORT:
        scene.report(turn, [])
        return "report"
    if r.intent is Intent.THANKS:
        turn.reply(texts.WELCOME_THANKS, MENU)
        return "thanks"
    if r.intent is Intent.GREETING:
        resident.greet(turn, [])
        return "greeting"
    return "nothing" if _nothing(turn, r.text) else None


def _askable(r: Reading) -> bool:
    """Tell whether an unsure reading may be one of the things the question offers."""
    if r.intent not in CHAT:
        return True  # an unsure yes or no with no question pending ("is it fixed?") too
    return sum(p for i, p in r.alternatives if i in ASKABLE) >= SECOND_FLOOR


def _nothing(turn: Turn, text: str) -> bool:
    """Say that an English message meant nothing we know, with the menu."""
    turn.reply(texts.UNDERSTOOD_NOTHING.format(text=text[:20]), MENU, keyboard="remove")
    return True


def _codes(turn: Turn) -> set[str]:
    """The category codes of the office's catalogue (the reader offers no others)."""
    return set(catalogue(turn.u.session).by_code)


def _phrase_problem(turn: Turn, text: str) -> bool:
    """Tell whether the phrase reader, with the office's keywords, reads the text as a problem too."""
    return understand.reader().intent(text, office_keywords(turn)).intent == "problem"


def describe(turn: Turn, text: str) -> None:
    """Start a report with the text as its description: the office's keyword matches, then the model's."""
    limits = turn.u.rules.limits
    if not limits.description_min <= len(text) <= limits.description_max:
        scene.report(turn, [])
        return
    found = [code for code, _ in understand.reader().categories(text, office=office_keywords(turn))]
    for code, _ in reader.categories(text, _codes(turn)):
        if code not in found:
            found.append(code)
    scene.describe(turn, text, found[: reader.CATEGORY_LIMIT])


def ask(turn: Turn, text: str) -> None:
    """Ask what an unsure message meant; its text is kept for a report it may start."""
    update_data(turn.dialog, turn.u.now, meant=text[: turn.u.rules.limits.description_max])
    turn.reply(texts.MEANT_ASK, MEANT_BUTTONS)


def on_meant(turn: Turn, press: Meant) -> None:
    """The answer to 您是想 …？: do what was meant, with the text the question was about."""
    text = str((turn.dialog.data or {}).get("meant") or "")
    if text:
        update_data(turn.dialog, turn.u.now, meant=None)
    if press.action is MeantAction.PROBLEM:
        if text:
            describe(turn, text)
        else:
            scene.report(turn, [])
    elif press.action is MeantAction.STATUS:
        status_in_words(turn, reader.rules.ticket(text) if text else None)
    elif press.action is MeantAction.WITHDRAW:
        withdraw_in_words(turn, reader.rules.ticket(text) if text else None)
    else:
        resident.greet(turn, [])


def status_in_words(turn: Turn, ticket_id: int | None) -> None:
    """那个事有下文没: the ticket named, else the resident's list."""
    if ticket_id is not None:
        resident.status(turn, [str(ticket_id)])
    else:
        resident.my_tickets(turn, [])


def withdraw_in_words(turn: Turn, ticket_id: int | None) -> None:
    """帮我撤了吧: confirm with the ticket named; with several, ask which; never withdraw on words alone."""
    u = turn.u
    if ticket_id is not None:
        ticket = tickets.withdrawable(u, ticket_id, turn.person)  # refuses clearly
        _confirm_withdraw(turn, ticket)
        return
    rows = list(
        u.session.scalars(
            select(Ticket)
            .where(Ticket.resident_id == turn.person.id, Ticket.status.in_(WITHDRAWABLE))
            .order_by(Ticket.id.desc())
            .limit(PICK_LIMIT)
        )
    )
    if not rows:
        turn.reply(texts.WITHDRAW_NONE, MENU)
    elif len(rows) == 1:
        _confirm_withdraw(turn, rows[0])
    else:
        buttons = tuple(
            Button(
                texts.BTN_WITHDRAW_PICK.format(id=t.id, category=category_name(u.session, t.category_code)),
                WithdrawPick(t.id).pack(),
            )
            for t in rows
        )
        turn.reply(texts.WITHDRAW_WHICH.format(count=len(rows)), (*buttons, _keep()))


def _confirm_withdraw(turn: Turn, ticket: Ticket) -> None:
    description = ticket.description[:SHOWN] + ("…" if len(ticket.description) > SHOWN else "")
    turn.reply(
        texts.WITHDRAW_ASK.format(
            id=ticket.id,
            category=category_name(turn.u.session, ticket.category_code),
            description=description,
        ),
        (Button(texts.BTN_WITHDRAW_YES.format(id=ticket.id), WithdrawPick(ticket.id).pack()), _keep()),
    )


def _keep() -> Button:
    return Button(texts.BTN_KEEP, Keep().pack())


def on_withdraw(turn: Turn, press: WithdrawPick) -> None:
    """确认撤回 #N (or a pick among several): withdraw it, the domain checking it is still his to withdraw."""
    resident.withdraw(turn, [str(press.ticket_id)])


def on_keep(turn: Turn, press: Keep) -> None:
    """不用了: nothing changes."""
    turn.reply(texts.KEPT)


@dataclass(frozen=True)
class Answered:
    """A typed answer to 解决了吗 or 满意吗: yes or no, the words with a no, whether it is broken."""

    yes: bool
    reason: str = ""
    broken: bool = False  # the problem is still there (又坏了 after 满意吗): reopen, not only rate


def answered(text: str, stage: int) -> Answered | None:
    """Read a typed 双是 answer (stage 1: solved?, 2: satisfied?); None when it answers nothing surely."""
    r = reader.read(text, Expect.RESOLVED if stage == 1 else Expect.SATISFIED)
    label, reason = r.answer, r.reason
    if label is None:  # the phrase reader's answer words, whole-message matches only
        label = understand.reader().answer(text, "yesno" if stage == 1 else "satisfaction")
        reason = reader.rules.strip_answer(text) if label is not None else ""
    if label is None:
        return None
    if label in ("yes", "satisfied"):
        return Answered(True)
    # The handler reads the resident's own words, whole, when they say more than a bare no.
    said = r.text if reason else ""
    return Answered(False, said, broken=stage == 2 and r.intent is Intent.NO and bool(said))
