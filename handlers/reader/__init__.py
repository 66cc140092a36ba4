"""The trained reader: what a free-text message means, with how sure the reading is.

    from handlers.reader import Expect, read
    r = read("3号单我接了")                      # Reading(intent=GRAB, ticket=3, sure=True, ...)
    r = read("做了但没做好", Expect.RESOLVED)    # answer="no", reason="做了但没做好"

Rules decide what rules know (commands, ticket numbers, one-word answers, empty text); a classifier
trained on handlers/data/reader/corpus.tsv reads the rest (see model.py). The model file is read, and
scikit-learn imported, on the first call of read() or warm(), not at import time.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import rules

if TYPE_CHECKING:
    from .classifier import Model


class Intent(StrEnum):
    """What a message is. The first fifteen are the classifier's labels; COMMAND comes from a rule."""

    PROBLEM = "problem"  # a problem described (a report with its content)
    REPORT = "report"  # a wish to report, without the problem yet
    STATUS = "status"  # a question about one's own tickets
    WITHDRAW = "withdraw"  # take a ticket back
    CONSULT = "consult"  # 咨询: does a service exist, how is something done
    THANKS = "thanks"
    GREETING = "greeting"
    OTHER = "other"  # chatter, tests, nothing we handle
    YES = "yes"  # the problem is solved
    NO = "no"  # it is not (still there, back again, done badly)
    SATISFIED = "satisfied"  # the handling was good
    UNSATISFIED = "unsatisfied"  # the handling was poor (slow, rude), the problem itself may be gone
    GRAB = "grab"  # a worker takes a ticket
    PROGRESS = "progress"  # a worker tells how a ticket goes
    RESOLVE = "resolve"  # a worker says a ticket is done
    COMMAND = "command"  # "/my", "/grab 12"


class Expect(StrEnum):
    """The question a message may answer: none, 解决了吗, 满意吗, 确认提交吗, or a worker's message."""

    NOTHING = ""
    RESOLVED = "resolved"
    SATISFIED = "satisfied"
    CONFIRM = "confirm"
    WORKER = "worker"


# How an intent answers each question; an intent not listed answers nothing.
ANSWERS: dict[Expect, dict[Intent, str]] = {
    Expect.RESOLVED: {Intent.YES: "yes", Intent.SATISFIED: "yes", Intent.NO: "no", Intent.RESOLVE: "yes"},
    Expect.SATISFIED: {
        Intent.SATISFIED: "satisfied",
        Intent.YES: "satisfied",
        Intent.THANKS: "satisfied",
        Intent.UNSATISFIED: "unsatisfied",
        Intent.NO: "unsatisfied",
    },
    Expect.CONFIRM: {Intent.YES: "yes", Intent.SATISFIED: "yes", Intent.NO: "no"},
}
# A worker's message is one of these or nothing we act on.
WORKER_INTENTS = (Intent.GRAB, Intent.PROGRESS, Intent.RESOLVE)
# Intents whose message usually names a ticket: a lone number counts as its reference there.
TICKET_INTENTS = frozenset({*WORKER_INTENTS, Intent.STATUS, Intent.WITHDRAW})
# Below this probability the reading is not sure: the flows ask one short question instead.
SURE = 0.6
# An answer changes a ticket, so it must be surer than that.
ANSWER_SURE = 0.75
# Categories offered for a problem: at most this many, each at least this probable.
CATEGORY_LIMIT = 3
CATEGORY_FLOOR = 0.05
# Text beyond this is not read (a pasted article is not a report of ten thousand characters).
MAX_TEXT = 2000

MODEL_FILE = "data/reader/model.npz"


@dataclass(frozen=True)
class Reading:
    """The reading of one message.

    intent / confidence: the best reading and its probability (1.0 when a rule decided).
    alternatives: the three likeliest intents with their probabilities, best first.
    categories: for a problem (or a message that may be one), up to three category codes with
      probabilities, best first.
    ticket: the ticket number the message names, if any.
    command: the command name when the message is "/name ...".
    answer: when a question was expected, what the message answers ("yes", "no", "satisfied",
      "unsatisfied"), or None when it answers nothing or not surely enough to act on.
    reason: the words that come with an answer ("还是老样子" in "没有，还是老样子"); "" when none.
    sure: whether to act on the intent without asking.
    by: "rule" or "model".
    """

    text: str
    intent: Intent
    confidence: float
    alternatives: tuple[tuple[Intent, float], ...] = ()
    categories: tuple[tuple[str, float], ...] = ()
    ticket: int | None = None
    command: str | None = None
    answer: str | None = None
    reason: str = ""
    sure: bool = True
    by: Literal["rule", "model"] = "rule"


_lock = threading.Lock()
_model: Model | None = None


def model() -> Model:
    """The shared model, loaded on first use (scikit-learn is imported then, not before)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                # Imported here, not at the top: scikit-learn costs about a second of CPU and ~100 MB,
                # which only a process that reads messages should pay.
                from . import classifier as trained

                _model = trained.Model.load(model_path())
    return _model


def model_path() -> Path:
    """Where the committed model file is."""
    return Path(str(resources.files("handlers").joinpath(MODEL_FILE)))


def warm() -> None:
    """Load the model now (at start-up) rather than on the first message."""
    model()


def forget() -> None:
    """Drop the loaded model, so the next read() loads the file again (after `jiesu understand train`)."""
    global _model
    with _lock:
        _model = None


def read(
    text: str | None, expecting: Expect = Expect.NOTHING, codes: Collection[str] | None = None
) -> Reading:
    """Read one message; never raises for any text.

    expecting: the question the message may answer (sets Reading.answer) or Expect.WORKER for a
    worker's message, which is then read as grab, progress, resolve or other.
    codes: the category codes the office's catalogue has; others are not offered.
    """
    clean = _clean(text)
    if not rules.fold(clean) and not _has_symbol(clean):
        return Reading(clean, Intent.OTHER, 1.0)
    if (name := rules.command(clean)) is not None:
        return Reading(clean, Intent.COMMAND, 1.0, command=name, ticket=rules.ticket(clean, bare=True))
    if expecting in ANSWERS and (label := rules.answer_word(clean)) is not None:
        intent = Intent(label)
        answer = ANSWERS[expecting].get(intent)
        if answer is not None:
            return Reading(clean, intent, 1.0, ((intent, 1.0),), answer=answer, reason=_says_why(clean))
    return _classify(clean, expecting, codes)


def categories(text: str | None, codes: Collection[str] | None = None) -> tuple[tuple[str, float], ...]:
    """The likeliest categories of a text read as a problem report, whatever its intent."""
    m = model()
    return _categories(m, m.features([_clean(text)]), codes)


def _classify(text: str, expecting: Expect, codes: Collection[str] | None) -> Reading:
    m = model()
    rows = m.features([text])
    probabilities = m.intent_probabilities(rows)[0]
    scores = {Intent(label): float(p) for label, p in zip(m.intents, probabilities, strict=True)}
    if expecting is Expect.WORKER:
        # The rest of the mass is "nothing a worker does with a ticket".
        worker = {i: scores[i] for i in WORKER_INTENTS}
        worker[Intent.OTHER] = max(0.0, 1.0 - sum(worker.values()))
        scores = worker
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0].value))
    intent, confidence = ranked[0]
    categories: tuple[tuple[str, float], ...] = ()
    if scores.get(Intent.PROBLEM, 0.0) >= 0.2 or intent is Intent.REPORT:
        categories = _categories(m, rows, codes)
    answer, reason = None, ""
    if expecting in ANSWERS:
        mapping = ANSWERS[expecting]
        mass: dict[str, float] = {}
        for label, p in scores.items():
            if label in mapping:
                mass[mapping[label]] = mass.get(mapping[label], 0.0) + p
        if mass:
            best, p = max(mass.items(), key=lambda kv: kv[1])
            if p >= ANSWER_SURE and mapping.get(intent) == best:
                answer = best
                reason = (
                    rules.strip_answer(text) if rules.fold(text) not in _answer_words() else _says_why(text)
                )
    sure = confidence >= SURE
    ticket = rules.ticket(text, bare=intent in TICKET_INTENTS)
    return Reading(
        text,
        intent,
        confidence,
        alternatives=tuple(ranked[:3]),
        categories=categories,
        ticket=ticket,
        answer=answer,
        reason=reason,
        sure=sure,
        by="model",
    )


def _categories(m: Model, rows: object, codes: Collection[str] | None) -> tuple[tuple[str, float], ...]:
    probabilities = m.category_probabilities(rows)[0]
    pairs = [
        (code, float(p))
        for code, p in zip(m.categories, probabilities, strict=True)
        if codes is None or code in codes
    ]
    total = sum(p for _, p in pairs) or 1.0
    pairs = [(code, p / total) for code, p in pairs]
    pairs.sort(key=lambda cp: (-cp[1], cp[0]))
    return tuple((c, p) for c, p in pairs[:CATEGORY_LIMIT] if p >= CATEGORY_FLOOR) or tuple(pairs[:1])


def _says_why(text: str) -> str:
    """The whole text when it is an answer word that also gives the reason ("还是老样子"), else ""."""
    return text if rules.fold(text) in rules.rules().says_why else ""


def _answer_words() -> frozenset[str]:
    return frozenset(w for ws in rules.rules().answers.values() for w in ws)


def _clean(text: str | None) -> str:
    """The text as read: a str, no control characters or lone surrogates, at most MAX_TEXT characters."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[: MAX_TEXT * 2].encode("utf-8", "replace").decode("utf-8")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") else ch for ch in text)
    return " ".join(text.split())[:MAX_TEXT]


def _has_symbol(text: str) -> bool:
    """Emoji and other symbols carry meaning (👍 after 满意吗) even without a letter."""
    return any(unicodedata.category(ch)[0] == "S" for ch in text)
