"""The office's FAQ file (咨询答复库): entries with the ways residents ask them and the answer."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .tables import FaqEntry

MAX_ENTRIES = 500
MAX_QUESTIONS = 20
QUESTION_MAX = 100
ANSWER_MAX = 1000
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class FaqFileError(ValueError):
    """A FAQ file that cannot be imported, with what to fix."""


@dataclass(frozen=True)
class FaqSpec:
    """One [[faq]] of the file: its code, the questions as residents ask them, the answer."""

    code: str
    questions: tuple[str, ...]
    answer: str


def read_file(text: str) -> tuple[FaqSpec, ...]:
    """Parse and check a FAQ file ([[faq]] code, questions, answer)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FaqFileError(f"not valid TOML: {exc}") from None
    entries = data.get("faq")
    if not isinstance(entries, list) or not entries:
        raise FaqFileError("no [[faq]] entries")
    if len(entries) > MAX_ENTRIES:
        raise FaqFileError(f"{len(entries)} entries: at most {MAX_ENTRIES}")
    specs: list[FaqSpec] = []
    for n, entry in enumerate(entries, 1):
        specs.append(_entry(entry, f"faq {n}", {s.code for s in specs}))
    return tuple(specs)


def _entry(entry: object, where: str, taken: set[str]) -> FaqSpec:
    if not isinstance(entry, dict):
        raise FaqFileError(f"{where}: expected a table")
    code = str(entry.get("code", "")).strip()
    if not _CODE.match(code):
        raise FaqFileError(f"{where}: code must be 1-40 lower-case letters, digits or '-', got {code!r}")
    if code in taken:
        raise FaqFileError(f"{where}: code {code!r} appears twice")
    questions = entry.get("questions")
    if not isinstance(questions, list) or not questions or not all(isinstance(q, str) for q in questions):
        raise FaqFileError(
            f'{where} ({code}): questions must be a list of sentences, e.g. ["有没有送餐服务"]'
        )
    asked = tuple(" ".join(q.split()) for q in questions)
    if len(asked) > MAX_QUESTIONS or any(not q or len(q) > QUESTION_MAX for q in asked):
        raise FaqFileError(
            f"{where} ({code}): 1-{MAX_QUESTIONS} questions of 1-{QUESTION_MAX} characters each"
        )
    answer = entry.get("answer")
    if not isinstance(answer, str) or not answer.strip() or len(answer) > ANSWER_MAX:
        raise FaqFileError(f"{where} ({code}): answer must be 1-{ANSWER_MAX} characters")
    return FaqSpec(code, asked, answer.strip())


def import_faq(session: Session, faq: tuple[FaqSpec, ...]) -> tuple[int, int, int]:
    """Replace the FAQ by the file's entries in the caller's transaction: (added, updated, removed)."""
    known = {e.code: e for e in session.scalars(select(FaqEntry))}
    codes = {s.code for s in faq}
    added = updated = 0
    for position, spec in enumerate(faq, 1):
        questions = "\n".join(spec.questions)
        row = known.get(spec.code)
        if row is None:
            session.add(FaqEntry(code=spec.code, position=position, questions=questions, answer=spec.answer))
            added += 1
        elif (row.position, row.questions, row.answer) != (position, questions, spec.answer):
            row.position, row.questions, row.answer = position, questions, spec.answer
            updated += 1
    gone = [code for code in known if code not in codes]
    if gone:
        session.execute(delete(FaqEntry).where(FaqEntry.code.in_(gone)))
    return added, updated, len(gone)


def entries(session: Session) -> tuple[FaqSpec, ...]:
    """The FAQ as imported, in the file's order."""
    rows = session.scalars(select(FaqEntry).order_by(FaqEntry.position, FaqEntry.code))
    return tuple(FaqSpec(r.code, tuple(r.questions.split("\n")), r.answer) for r in rows)
