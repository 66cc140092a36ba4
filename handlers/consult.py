"""Consultations (咨询): a question about a service answered from the office's FAQ, else filed.

A private message with a question word (handlers/data/words.toml) that the reader takes for a
consultation, or that the FAQ answers closely, is compared with every question of the FAQ
(models/faq.py) by the reader's own character n-gram features, after the words every question
has (请问, 有没有, 怎么) are taken out. A close enough entry, clearly ahead of the next, answers at
once; otherwise the question becomes a 咨询 ticket (models/consult.py) for the office to answer
with 答复 N 内容 within its working days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from models import consult, faq
from models.errors import NotAllowed, Refusal
from models.people import is_staff

from . import reader, texts, vocabulary
from .arguments import ticket_arg
from .menu import MENU
from .normalise import Shape, nfkc
from .notify import consult as told
from .render import fmt_time
from .spec import Spec, Who
from .turn import Turn

# An entry answers when its score is at least MATCH and at least MARGIN above the next entry's.
MATCH = 0.45
MARGIN = 0.1
# A question the reader took for something else is answered when an entry scores this much.
STRONG = 0.6
# An entry's score: its closest question, and (a little) its questions and answer together.
QUESTION_WEIGHT = 0.7
_ASKING_RE = re.compile("|".join(re.escape(w) for w in vocabulary.ASKING))
ANSWER_HEAD = 60  # characters of the answer that describe the entry


@dataclass(frozen=True)
class Match:
    """The FAQ entry a question matched, and how well."""

    entry: faq.FaqSpec
    score: float


def core(text: str) -> str:
    """The question without its asking words (the whole text when nothing else is left)."""
    left = _ASKING_RE.sub(" ", text)
    return left if left.strip() else text


@lru_cache(maxsize=4)
def _index(entries: tuple[faq.FaqSpec, ...]) -> tuple[Any, Any, tuple[int, ...]]:
    """The feature rows of every question and of every entry, and which entry each question is of."""
    m = reader.model()
    questions = [(i, q) for i, e in enumerate(entries) for q in e.questions]
    rows = m.features([core(q) for _, q in questions])
    whole = m.features([core(" ".join(e.questions)) + " " + e.answer[:ANSWER_HEAD] for e in entries])
    return rows, whole, tuple(i for i, _ in questions)


def best(entries: tuple[faq.FaqSpec, ...], text: str) -> Match | None:
    """The entry that answers the question, or None when none is close enough and clearly first."""
    if not entries:
        return None
    rows, whole, owner = _index(entries)
    v = reader.model().features([core(text)])
    per_question = (rows @ v.T).toarray().ravel()
    per_entry = (whole @ v.T).toarray().ravel()
    closest = [0.0] * len(entries)
    for i, s in zip(owner, per_question, strict=True):
        closest[i] = max(closest[i], float(s))
    scores = sorted(
        (
            (QUESTION_WEIGHT * closest[i] + (1 - QUESTION_WEIGHT) * float(per_entry[i]), i)
            for i in range(len(entries))
        ),
        reverse=True,
    )
    top, i = scores[0]
    runner = scores[1][0] if len(scores) > 1 else 0.0
    if top < MATCH or top - runner < MARGIN:
        return None
    return Match(entries[i], top)


def take(turn: Turn, text: str) -> bool:
    """Answer a private question about a service, or file it as a 咨询; False when it is not one."""
    if not turn.private or not text:
        return False
    if not _asks(text):  # statements and greetings are not read twice
        return False
    reading = reader.read(text)
    consulting = reading.intent is reader.Intent.CONSULT and reading.sure
    found = best(faq.entries(turn.u.session), text)
    if found is not None and (consulting or found.score >= STRONG):
        days = turn.u.rules.sla.consult_days
        turn.reply(texts.FAQ_ANSWER.format(answer=found.entry.answer, days=days), MENU)
    elif consulting:
        _file(turn, text)
    else:
        return False
    return True


def _asks(text: str) -> bool:
    folded = nfkc(text)
    return any(word in folded for word in vocabulary.QUESTION)


def _file(turn: Turn, question: str) -> None:
    u = turn.u
    ticket = consult.ask(u, turn.person, question[: u.rules.limits.description_max])
    sla = u.rules.sla
    turn.reply(
        texts.CONSULT_FILED.format(
            id=ticket.id, days=sla.consult_days, due=fmt_time(ticket.due_at, sla.timezone)
        )
    )
    told.filed(u, ticket)


def ask(turn: Turn, args: list[str]) -> None:
    """人工咨询 问题: file a question for the office straight away, the FAQ not consulted."""
    question = " ".join(args).strip()
    if not question:
        turn.reply(texts.USAGE.format(usage=ASK.usage))
        return
    if not turn.private:
        turn.reply(texts.PRIVATE_ONLY)
        return
    _file(turn, question)


def answer(turn: Turn, args: list[str]) -> None:
    """答复 N 内容: answer a consultation in words; the resident is told and it is closed."""
    if not is_staff(turn.u.session, turn.person.id):
        raise NotAllowed(Refusal.NOT_STAFF)
    ticket_id = ticket_arg(args, ANSWER.usage, 2)
    ticket = consult.answer(turn.u, ticket_id, turn.person, " ".join(args[1:]))
    turn.reply(texts.CONSULT_ANSWER_DONE.format(id=ticket.id))


ASK = Spec(
    "ask",
    ask,
    Who.RESIDENT,
    texts.USAGE_ASK,
    ("人工咨询",),
    Shape(0, True),
    menu=texts.MENU_ASK,
    help=texts.HELP_ASK,
)
ANSWER = Spec(
    "answer", answer, Who.WORKER, texts.USAGE_ANSWER, ("答复",), Shape(1, True, 1), help=texts.HELP_ANSWER
)
SPECS = (ASK, ANSWER)
